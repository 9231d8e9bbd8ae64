import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'mocha';
import { ObjectRelay } from '../../../src/head/object-relay.js';
import type { Message, MessageOf } from '../../../src/protocol/messages.js';
import { FakePeer } from '../../helpers/head-harness.js';

const pull = (reqId: number, nodeId: string, id = 'obj'): MessageOf<'object.pull'> => ({ type: 'object.pull', reqId, client: 'w1', id, nodeId });
const bytes = (n: number) => new Uint8Array(n).fill(7);

describe('object relay (ObjectRelay)', () => {
  let toClients: { client: string; m: Message }[];
  let holders: Map<string, FakePeer>;
  let relay: ObjectRelay;

  beforeEach(() => {
    toClients = [];
    holders = new Map([['n1', new FakePeer()], ['n2', new FakePeer()]]);
    relay = new ObjectRelay({ holder: (nodeId) => holders.get(nodeId), toClient: (client, m) => toClients.push({ client, m }) });
  });
  const answers = () => toClients.map(({ client, m }) => (m.type === 'object.data' ? `${client} #${m.reqId} ${m.id}: ${m.data?.byteLength ?? 'null'}` : m.type));

  it('a node without a live agent has nothing to give: null at once', () => {
    relay.pull(pull(5, 'dead'));
    assert.deepEqual(answers(), ['w1 #5 obj: null']);
  });

  it('asks the holder under its own request id and hands the answer back under the asker\'s, counting the bytes', () => {
    relay.pull(pull(5, 'n1'));
    relay.pull({ ...pull(5, 'n1'), client: 'w2' }); // two clients may use the same request id
    const asked = holders.get('n1')?.of('object.pull') ?? [];
    assert.deepEqual(asked.map((m) => m.reqId), [0, 1]);
    relay.data(holders.get('n1') as FakePeer, { type: 'object.data', reqId: 1, client: 'w2', id: 'obj', data: bytes(10) });
    relay.data(holders.get('n1') as FakePeer, { type: 'object.data', reqId: 0, client: 'w1', id: 'obj', data: null });
    assert.deepEqual(answers(), ['w2 #5 obj: 10', 'w1 #5 obj: null']);
    assert.equal(relay.relayedBytes, 10);
  });

  it('an answer is taken once, and only from the node that was asked', () => {
    relay.pull(pull(5, 'n1'));
    const answer: MessageOf<'object.data'> = { type: 'object.data', reqId: 0, client: 'w1', id: 'obj', data: bytes(4) };
    relay.data(holders.get('n2') as FakePeer, answer);
    assert.deepEqual(answers(), [], 'another node cannot answer for the holder');
    relay.data(holders.get('n1') as FakePeer, answer);
    relay.data(holders.get('n1') as FakePeer, answer);
    relay.data(holders.get('n1') as FakePeer, { ...answer, reqId: 42 });
    assert.deepEqual(answers(), ['w1 #5 obj: 4']);
    assert.equal(relay.relayedBytes, 4);
  });
});
