// `npm test` starts with scripts/test-prereqs.mjs: where the suite cannot run, it stops before any test, naming
// what is missing and the command that installs it. Each case runs the script in a mount namespace of its own in
// which a tool is hidden (a bind mount of /dev/null over it is not executable), so this machine stays as it is.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'mocha';
import { REPO } from '../../helpers/run-cli.js';

const SCRIPT = join(REPO, 'scripts/test-prereqs.mjs');

function runPrereqs(o: { hide?: string[]; user?: number }): { code: number | null; stdout: string; stderr: string } {
  const hides = (o.hide ?? []).map((path) => `mount --bind /dev/null ${path} && `).join('');
  const asUser = o.user === undefined ? '' : `setpriv --reuid=${o.user} --regid=${o.user} --clear-groups `;
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `${hides}exec ${asUser}"$0" "$1"`, process.execPath, SCRIPT], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm test\'s prerequisites (scripts/test-prereqs.mjs)', () => {
  it('on a ready machine it says nothing and lets the tests run', () => {
    assert.deepEqual(runPrereqs({}), { code: 0, stdout: '', stderr: '' });
  });

  it('without root it stops before any test, saying why root is needed and how to run as root', () => {
    const r = runPrereqs({ user: 65534 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: the tests cannot run on this machine\n {2}the SSH test hosts are network namespaces, and making them needs root\.\nhint: run the tests as root: sudo npm test\n$/);
    assert.equal(r.stdout, '0 passed, 1 failed\n', 'CI still reads a closing count');
  });

  it('a missing tool with no apt-get to install it: stops, naming its package', () => {
    const r = runPrereqs({ hide: ['/usr/bin/screen', '/usr/bin/rsync', '/usr/bin/apt-get'] });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^ {2}missing: rsync, screen \(Debian package names\), and there is no apt-get here to install them\.$/m);
    assert.equal(r.stdout, '0 passed, 1 failed\n');
  });

  it('a missing tool as a user without root: names the package and the apt-get line that installs it', () => {
    const r = runPrereqs({ hide: ['/usr/sbin/sshd'], user: 65534 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /missing as well: openssh-server \(Debian package names\): sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends openssh-server'/);
  });
});
