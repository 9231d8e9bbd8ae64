import assert from 'node:assert/strict';
import type { Identity } from '../../../src/common/credentials.js';
import { describe, it } from 'mocha';
import { CARRIES, type HandlerTable, MAY_SEND, Router, refusal } from '../../../src/head/router.js';
import type { Message, Role } from '../../../src/protocol/messages.js';
import { FakePeer } from '../../helpers/head-harness.js';

/** Every message type of the protocol: the compiler says when one is added and missing here. */
const EVERY_TYPE = Object.keys({
  hello: 1, welcome: 1, 'resume.ask': 1, 'resume.known': 1, fatal: 1, 'driver.exit': 1, 'node.register': 1, heartbeat: 1, 'node.draining': 1, 'node.objects': 1, 'node.resume': 1, submit: 1, 'task.run': 1, 'task.done': 1, 'task.crashed': 1,
  'task.blocked': 1, 'task.unblocked': 1, warning: 1, put: 1, fetch: 1, object: 1, 'object.pull': 1, 'object.data': 1, 'object.store': 1, 'object.stored': 1, log: 1,
  'job.submit': 1, 'job.accepted': 1, 'job.refused': 1, 'job.follow': 1, 'job.snapshot.end': 1, 'job.missing': 1, 'job.output': 1, 'job.exit': 1,
  'job.stop': 1, 'job.bundle.get': 1, 'job.bundle': 1, 'job.ended': 1, 'actor.create': 1, 'actor.start': 1, 'actor.ready': 1,
  'actor.failed': 1, 'actor.died': 1, 'actor.call': 1, 'actor.run': 1, 'actor.done': 1, 'actor.kill': 1, 'actor.stop': 1,
  'actor.lookup': 1, 'actor.found': 1, cancel: 1, 'task.cancel': 1, 'pg.create': 1, 'pg.remove': 1, 'pg.state': 1,
  'resources.request': 1, query: 1, 'query.reply': 1, 'workers.down': 1, 'workers.down.reply': 1, 'config.update': 1, 'config.updated': 1,
} satisfies Record<Message['type'], 1>) as Message['type'][];

/** The allowed pairs, written out: what each connection role may send (an agent also carries its worker processes'). */
const ALLOWED: Record<'agent' | 'driver' | 'cli', string[]> = {
  agent: [
    'node.register', 'node.resume', 'heartbeat', 'node.draining', 'task.crashed', 'actor.died', 'job.bundle.get', 'object.data', 'object.stored',
    'hello', 'log', 'task.done', 'task.blocked', 'task.unblocked', 'actor.ready', 'actor.failed', 'actor.done',
    'submit', 'cancel', 'put', 'fetch', 'object.pull', 'query', 'resources.request', 'actor.create', 'actor.call', 'actor.kill', 'actor.lookup', 'pg.create', 'pg.remove',
  ],
  driver: ['submit', 'cancel', 'put', 'fetch', 'object.pull', 'query', 'resources.request', 'actor.create', 'actor.call', 'actor.kill', 'actor.lookup', 'pg.create', 'pg.remove', 'job.stop', 'resume.ask', 'driver.exit'],
  cli: ['query', 'job.submit', 'job.follow', 'job.stop', 'workers.down', 'config.update'],
};

/** A message of this type; the router reads only `type` (and a hello's role). */
const msg = (type: Message['type'], role: Role = 'worker'): Message => ({ type, role, clientId: 'c', nodeId: 'n' }) as unknown as Message;

/** A router whose handlers record what reached them. */
function recordingRouter() {
  const reached: string[] = [];
  const logged: string[] = [];
  let frames = 0;
  const handlers = Object.fromEntries([...new Set(Object.values(MAY_SEND).flat())].map((t) => [t, (p: FakePeer, m: Message) => {
    reached.push(`${p.id}:${m.type}`);
    // A hello gives the connection its role, as the head's sessions do.
    if (m.type === 'hello' && p.role === undefined) p.role = m.role;
  }])) as unknown as HandlerTable;
  const router = new Router({ handlers, frameDone: () => { frames += 1; }, closed: () => undefined, log: (l) => logged.push(l) });
  return { router, reached, logged, frames: () => frames };
}

/** Who holds a credential for each role in these tests (msg() names node n and no job). */
const IDENTITY: Record<Role, Identity> = { agent: { kind: 'node', nodeId: 'n' }, driver: { kind: 'operator' }, cli: { kind: 'operator' }, worker: { kind: 'operator' } };

function connected(router: Router, role: Role): FakePeer {
  const p = new FakePeer(IDENTITY[role]);
  router.onMessages(p, [msg('hello', role)]);
  assert.equal(p.role, role);
  return p;
}

describe('head router (Router)', () => {
  it('the role table says exactly what each connection role may send', () => {
    for (const role of ['agent', 'driver', 'cli'] as const) {
      const table = new Set(CARRIES[role].flatMap((r) => [...MAY_SEND[r]]));
      assert.deepEqual([...table].sort(), [...ALLOWED[role]].sort(), role);
    }
  });

  for (const role of ['agent', 'driver', 'cli'] as const) {
    for (const type of EVERY_TYPE) {
      const ok = ALLOWED[role].includes(type);
      it(`${ok ? 'takes' : 'refuses'} ${type} from a connected ${role}`, () => {
        const { router, reached, logged } = recordingRouter();
        const p = connected(router, role);
        const other = connected(router, role);
        reached.length = 0;
        router.onMessages(p, [msg(type)]);
        router.onMessages(other, [msg(ALLOWED[role][0] as Message['type'])]);
        if (ok) {
          assert.deepEqual(reached, [`${p.id}:${type}`, `${other.id}:${ALLOWED[role][0]}`]);
          assert.equal(p.closedWith, undefined);
        } else {
          assert.deepEqual(reached, [`${other.id}:${ALLOWED[role][0]}`], 'only the other connection\'s message is handled');
          assert.match(p.closedWith ?? '', new RegExp(`may not send ${type.replace('.', '\\.')}`));
          assert.equal(other.closedWith, undefined, 'the other connection stays open');
          assert.equal(logged.length, 1);
          assert.match(logged[0] ?? '', new RegExp(`closing connection ${p.id} \\(${role}\\): `));
        }
      });
    }
  }

  const FIRST: [string, Message, string | undefined][] = [
    ['a first message other than hello closes the connection', msg('query'), 'the first message must be hello'],
    ['a worker process may not connect by itself (only through its agent)', msg('hello', 'worker'), 'a connection may not take the role worker'],
    ['an agent may connect', msg('hello', 'agent'), undefined],
    ['a driver may connect', msg('hello', 'driver'), undefined],
    ['the CLI may connect', msg('hello', 'cli'), undefined],
  ];
  for (const [title, m, why] of FIRST) it(title, () => assert.equal(refusal(undefined, m, IDENTITY[(m as { role: Role }).role] ?? { kind: 'operator' }), why));

  // The credential decides who a connection is: its first hello must agree (src/common/credentials.ts).
  const CREDENTIAL: [string, Identity, Message, RegExp | undefined][] = [
    ['the operator\'s credential may connect as the CLI', { kind: 'operator' }, msg('hello', 'cli'), undefined],
    ['the operator\'s credential may not connect as an agent', { kind: 'operator' }, msg('hello', 'agent'), /the operator's credential may not connect as agent/],
    ['a node credential may not connect as the CLI', { kind: 'node', nodeId: 'n' }, msg('hello', 'cli'), /a node credential may not connect as cli/],
    ['a node credential may not connect as another node', { kind: 'node', nodeId: 'other' }, msg('hello', 'agent'), /node credential of other may not connect as node n/],
    ['a job credential may not connect as the CLI', { kind: 'job', jobId: 'j1' }, msg('hello', 'cli'), /a job credential may not connect as cli/],
    ['a job credential may not start a job of its own', { kind: 'job', jobId: 'j1' }, msg('hello', 'driver'), /job credential of j1 may not connect as the driver of a new job/],
  ];
  for (const [title, id, m, why] of CREDENTIAL) {
    it(title, () => {
      const got = refusal(undefined, m, id);
      if (why) assert.match(got ?? '', why);
      else assert.equal(got, undefined);
    });
  }

  const AGAIN: [string, Role, Role, boolean][] = [
    ['an agent announces a worker process behind it', 'agent', 'worker', true],
    ['an agent cannot become a driver', 'agent', 'driver', false],
    ['an agent cannot say hello as an agent again', 'agent', 'agent', false],
    ['a driver cannot announce a worker process', 'driver', 'worker', false],
    ['the CLI cannot become an agent', 'cli', 'agent', false],
  ];
  for (const [title, role, again, ok] of AGAIN) {
    it(`a later hello: ${title}`, () => {
      const { router, reached } = recordingRouter();
      const p = connected(router, role);
      router.onMessages(p, [msg('hello', again)]);
      assert.equal(p.closedWith === undefined, ok, p.closedWith);
      assert.equal(p.role, role, 'the role stays');
      assert.equal(reached.length, ok ? 2 : 1);
    });
  }

  it('stops at a refused message: the rest of the frame and later frames are dropped, and no placement pass runs', () => {
    const { router, reached, frames } = recordingRouter();
    const p = connected(router, 'driver');
    const before = frames();
    router.onMessages(p, [msg('submit'), msg('node.register'), msg('submit')]);
    router.onMessages(p, [msg('submit')]);
    assert.deepEqual(reached.slice(1), [`${p.id}:submit`]);
    assert.equal(frames(), before);
  });

  it('a handler that throws closes only its connection, with the error logged', () => {
    const logged: string[] = [];
    const handlers = { hello: (p: FakePeer, m: Message) => { if (m.type === 'hello') p.role = m.role; }, query: () => { throw new Error('boom'); } } as unknown as HandlerTable;
    const router = new Router({ handlers, frameDone: () => undefined, closed: () => undefined, log: (l) => logged.push(l) });
    const p = connected(router, 'cli');
    const other = connected(router, 'cli');
    router.onMessages(p, [msg('query')]);
    assert.equal(p.closedWith, 'query failed: boom');
    assert.equal(other.closedWith, undefined);
    assert.match(logged.join('\n'), /query failed: boom/);
  });

  it('a placement pass that throws after a frame closes that frame\'s connection with the error logged; the head goes on', () => {
    const logged: string[] = [];
    const handlers = { hello: (p: FakePeer, m: Message) => { if (m.type === 'hello') p.role = m.role; }, query: () => undefined } as unknown as HandlerTable;
    let failing = false;
    const router = new Router({ handlers, frameDone: () => { if (failing) throw new Error('bad state'); }, closed: () => undefined, log: (l) => logged.push(l) });
    const p = connected(router, 'cli');
    const other = connected(router, 'cli');
    failing = true;
    assert.doesNotThrow(() => router.onMessages(p, [msg('query')]));
    failing = false;
    router.onMessages(other, [msg('query')]);
    assert.equal(p.closedWith, 'placing the work of its frame failed: bad state');
    assert.equal(other.closedWith, undefined);
    assert.match(logged.join('\n'), new RegExp(`closing connection ${p.id} \\(cli\\): placing the work of its frame failed: bad state`));
  });

  it('cleaning up after a connection that throws is logged, not thrown', () => {
    const logged: string[] = [];
    const router = new Router({ handlers: {} as HandlerTable, frameDone: () => undefined, closed: () => { throw new Error('half gone'); }, log: (l) => logged.push(l) });
    const p = new FakePeer();
    assert.doesNotThrow(() => router.onClose(p));
    assert.match(logged.join('\n'), new RegExp(`cleaning up after connection ${p.id} failed: Error: half gone`));
  });

  it('a connection is refused once: a second reason is neither logged nor sent', () => {
    const logged: string[] = [];
    const router = new Router({ handlers: {} as HandlerTable, frameDone: () => undefined, closed: () => undefined, log: (l) => logged.push(l) });
    const p = new FakePeer();
    router.refuse(p, 'first');
    router.refuse(p, 'second');
    assert.equal(p.closedWith, 'first');
    assert.equal(logged.length, 1);
  });

  it('a closed connection is handed on', () => {
    const closed: number[] = [];
    const router = new Router({ handlers: {} as HandlerTable, frameDone: () => undefined, closed: (p) => closed.push(p.id), log: () => undefined });
    const p = new FakePeer();
    router.onClose(p);
    assert.deepEqual(closed, [p.id]);
  });
});
