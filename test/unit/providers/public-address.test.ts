import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'mocha';
import { ProviderConfigError } from '../../../providers/errors.js';
import { ingressCidr, PUBLIC_IP_URL_VAR } from '../../../providers/public-address.js';

describe('the SSH ingress address', () => {
  it('raylaunch.ssh_ingress_cidr when set; else this machine\'s address from the address service, as a /32', async () => {
    assert.equal(await ingressCidr('10.9.0.0/24', {}), '10.9.0.0/24');
    const server = createServer((_req, res) => res.end('203.0.113.7\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      assert.equal(await ingressCidr(undefined, { [PUBLIC_IP_URL_VAR]: url }), '203.0.113.7/32');
    } finally {
      server.close();
    }
  });
  it('an answer that is no address is a config error naming the variable', async () => {
    const server = createServer((_req, res) => res.end('<html>hello</html>'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      await assert.rejects(ingressCidr(undefined, { [PUBLIC_IP_URL_VAR]: url }), (e: unknown) => e instanceof ProviderConfigError && e.hint?.includes(PUBLIC_IP_URL_VAR) === true);
    } finally {
      server.close();
    }
  });
});
