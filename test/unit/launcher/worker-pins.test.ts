// What the head says about its workers is checked before this machine acts on it: a job on the head can write
// the head's known_hosts and pool file, and must not gain this machine's trust for any host by doing so.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { reachWorkers, workersKnownHostsPath } from '../../../src/launcher/worker-pins.js';
import type { SshHead } from '../../../src/launcher/ssh-head.js';
import { formatKnownHostsLine, lookup } from '../../../src/updater/known-hosts.js';
import type { CommandRunner } from '../../../src/updater/runner.js';

/** A well-formed ed25519 public key blob, different for each seed. */
const key = (seed: number): Buffer => {
  const type = Buffer.from('ssh-ed25519');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(type.length);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(32);
  return Buffer.concat([head, type, len, Buffer.alloc(32, seed)]);
};
const line = (hosts: string, k: Buffer) => formatKnownHostsLine('h', 22, k).replace(/^h /, `${hosts} `);

const OWN = key(1); // what this machine pinned itself
const REAL = key(2); // what the head pinned on its own first contact
const EVIL = key(3); // what a job wrote into the head's known_hosts

/** The head's shell: it answers the known_hosts read with `known`. */
const headShell = (known: string): CommandRunner => ({
  host: '10.0.0.1',
  run: (cmd) => Promise.resolve({ code: 0, stdout: cmd.includes('known_hosts') ? known : '', stderr: '' }),
  writeFile: () => Promise.reject(new Error('not used')),
  forward: () => Promise.reject(new Error('not used')),
  close: () => Promise.resolve(),
});

describe('reaching the workers the head lists', () => {
  let dir = '';
  let head: SshHead;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rl-wpins-'));
    mkdirSync(dir, { recursive: true });
    head = { host: '203.0.113.5', internalIp: '10.0.0.1', user: 'u', privateKeyPath: '/k', knownHostsPath: join(dir, 'known_hosts') };
    writeFileSync(head.knownHostsPath, [line('203.0.113.5', OWN), line('10.0.0.9', OWN)].join('\n') + '\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // The head's known_hosts as a job left it: a wildcard, patterns, a second key for hosts it should not speak for.
  const POISONED = [
    line('*', EVIL), line('10.0.*', EVIL), line('!10.0.0.7', EVIL), line('10.0.0.1', EVIL), line('203.0.113.5', EVIL),
    line('10.0.0.2', EVIL), line('10.0.0.9', EVIL), line('10.0.0.7,cloud-7', REAL), line('[10.0.0.8]:22', EVIL), '@cert-authority * ' + line('x', EVIL).slice(2),
  ].join('\n');
  const CONFIG_HOSTS = ['10.0.0.2', '10.0.0.3'];

  const CASES: { name: string; listed: string[]; targets: [string, 'own' | 'workers', boolean][]; refused: string[] }[] = [
    { name: 'patterns and options from the head are refused, not contacted', listed: ['*', '10.0.*', '-oProxyCommand=touch /tmp/x', 'a b', '!10.0.0.7'], targets: [], refused: ['*', '10.0.*', '-oProxyCommand=touch /tmp/x', 'a b', '!10.0.0.7'] },
    { name: 'the head listed as a worker is not a worker', listed: ['10.0.0.1', '203.0.113.5'], targets: [], refused: [] },
    { name: 'a config host is reached with this machine\'s own pins (first use like the head), never the head\'s', listed: ['10.0.0.2'], targets: [['10.0.0.2', 'own', false]], refused: [] },
    { name: 'a host this machine pinned itself keeps its pin', listed: ['10.0.0.9'], targets: [['10.0.0.9', 'own', true]], refused: [] },
    { name: 'a worker no config names takes the head\'s pin for its literal address, in the workers file', listed: ['10.0.0.7'], targets: [['10.0.0.7', 'workers', true]], refused: [] },
  ];
  for (const c of CASES) {
    it(c.name, async () => {
      const reach = await reachWorkers({ head, cluster: 'c', dir, configHosts: CONFIG_HOSTS, listed: c.listed, headRunner: headShell(POISONED) });
      const file = (kind: 'own' | 'workers') => (kind === 'own' ? head.knownHostsPath : workersKnownHostsPath(dir));
      assert.deepEqual(reach.targets.map((t) => [t.host, t.knownHostsPath, t.requirePinned]), c.targets.map(([h, kind, req]) => [h, file(kind), req]));
      assert.deepEqual(reach.refused.map((r) => r.host), c.refused);
    });
  }

  it('whatever the head lists, this machine\'s own known_hosts is never changed', async () => {
    const before = readFileSync(head.knownHostsPath, 'utf8');
    await reachWorkers({ head, cluster: 'c', dir, configHosts: CONFIG_HOSTS, listed: CASES.flatMap((c) => c.listed), headRunner: headShell(POISONED) });
    assert.equal(readFileSync(head.knownHostsPath, 'utf8'), before);
  });

  it('the workers file holds only literal addresses of workers no config names, and never the head', async () => {
    await reachWorkers({ head, cluster: 'c', dir, configHosts: CONFIG_HOSTS, listed: CASES.flatMap((c) => c.listed), headRunner: headShell(POISONED) });
    const hosts = readFileSync(workersKnownHostsPath(dir), 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
    assert.deepEqual(hosts, ['10.0.0.7']);
    assert.deepEqual(await lookup(workersKnownHostsPath(dir), '10.0.0.7', 22), [REAL]);
  });

  it('a worker the head pinned anew replaces the head\'s earlier pin for it (a recycled cloud address)', async () => {
    writeFileSync(workersKnownHostsPath(dir), `${line('10.0.0.7', EVIL)}\n`);
    await reachWorkers({ head, cluster: 'c', dir, configHosts: [], listed: ['10.0.0.7'], headRunner: headShell(line('10.0.0.7', REAL)) });
    assert.deepEqual(await lookup(workersKnownHostsPath(dir), '10.0.0.7', 22), [REAL]);
  });

  it('without the head (unreachable), no pin is copied and the workers stay refused until pinned', async () => {
    const reach = await reachWorkers({ head, cluster: 'c', dir, configHosts: CONFIG_HOSTS, listed: ['10.0.0.7', '10.0.0.3'] });
    assert.deepEqual(reach.targets.map((t) => [t.host, t.requirePinned]), [['10.0.0.7', true], ['10.0.0.3', false]]);
    assert.deepEqual(await lookup(workersKnownHostsPath(dir), '10.0.0.7', 22), []);
  });
});
