import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { PeerRegistry } from '../../../src/head/peers.js';
import { FakePeer } from '../../helpers/head-harness.js';

describe('peer registry (PeerRegistry)', () => {
  it('reaches a client through the connection it came on, and a node through its agent', () => {
    const peers = new PeerRegistry();
    const agent = new FakePeer();
    const driver = new FakePeer();
    peers.route('w1', agent);
    peers.route('d1', driver);
    peers.bindNode('n1', agent);
    peers.toClient('w1', { type: 'job.ended', jobId: 'j1' });
    peers.toClient('d1', { type: 'job.ended', jobId: 'j2' });
    peers.toClient('nobody', { type: 'job.ended', jobId: 'j3' });
    peers.toNode('n1', { type: 'task.cancel', taskId: 't' });
    assert.deepEqual(agent.sent.map((m) => m.type), ['job.ended', 'task.cancel']);
    assert.deepEqual(driver.sent.map((m) => m.type), ['job.ended']);
    assert.deepEqual(peers.nodePeers(), [agent]);
  });

  it('a closed connection takes its clients and its node with it', () => {
    const peers = new PeerRegistry();
    const agent = new FakePeer();
    agent.nodeId = 'n1';
    peers.route('w1', agent);
    peers.route('w2', agent);
    peers.bindNode('n1', agent);
    assert.deepEqual(peers.closed(agent), { clients: ['w1', 'w2'], nodeId: 'n1' });
    assert.equal(peers.node('n1'), undefined);
    assert.deepEqual(peers.closed(agent), { clients: [], nodeId: undefined });
  });

  it('an old connection of a node that registered again on a new one does not take the node with it', () => {
    const peers = new PeerRegistry();
    const old = new FakePeer();
    const fresh = new FakePeer();
    old.nodeId = 'n1';
    fresh.nodeId = 'n1';
    peers.bindNode('n1', old);
    peers.bindNode('n1', fresh);
    assert.equal(peers.closed(old).nodeId, undefined);
    assert.equal(peers.node('n1'), fresh);
  });

  it('lists each node\'s worker processes (its agent\'s clients of a job), not the agent itself nor drivers', () => {
    const peers = new PeerRegistry();
    const [a, b, driver] = [new FakePeer(), new FakePeer(), new FakePeer()];
    peers.route('agent-n1', a);
    peers.route('w1', a, 'j1');
    peers.route('w2', a, 'j2');
    peers.route('w3', b, 'j1');
    peers.route('d1', driver, 'j1');
    peers.bindNode('n1', a);
    peers.bindNode('n2', b);
    assert.deepEqual([...peers.workersByNode()], [
      ['n1', [{ clientId: 'w1', jobId: 'j1' }, { clientId: 'w2', jobId: 'j2' }]],
      ['n2', [{ clientId: 'w3', jobId: 'j1' }]],
    ]);
  });
});
