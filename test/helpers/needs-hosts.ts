import assert from 'node:assert/strict';
import { it } from 'mocha';
import { canMakeHosts } from './hosts/hosts.js';

/**
 * For a describe that needs test hosts: true when this machine can make them; otherwise it registers the one
 * test that fails and says why, so a suite that cannot run never passes by registering nothing.
 */
export function testHostsOrFail(): boolean {
  if (canMakeHosts()) return true;
  it('needs root, iproute2 and openssh-server (CI installs them)', () => assert.fail('run as root with openssh-server and iproute2 installed (see .ci/run)'));
  return false;
}
