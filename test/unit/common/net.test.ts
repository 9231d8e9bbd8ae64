import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { isPrivateAddress, nodeListenAddress } from '../../../src/common/net.js';

describe('where services may listen', () => {
  const CASES: [string, boolean][] = [
    ['127.0.0.1', true], ['10.200.0.5', true], ['172.16.0.1', true], ['172.31.255.1', true], ['172.32.0.1', false], ['192.168.1.1', true],
    ['100.64.0.1', true], ['169.254.1.1', true], ['8.8.8.8', false], ['0.0.0.0', false], ['::1', true], ['fd00::1', true], ['fe80::1', true],
    ['2001:db8::1', false], ['::', false], ['example.com', false],
  ];
  for (const [ip, ok] of CASES) it(`${ip} is ${ok ? '' : 'not '}private`, () => assert.equal(isPrivateAddress(ip), ok));

  it('refuses a public RAYLAUNCH_NODE_IP and defaults to loopback', () => {
    assert.throws(() => nodeListenAddress({ RAYLAUNCH_NODE_IP: '0.0.0.0' }), /refusing to listen on 0\.0\.0\.0/);
    assert.equal(nodeListenAddress({}), '127.0.0.1');
  });
});
