#!/usr/bin/env node
// The first step of `npm test`: what the suite needs beyond Node.js, installed where this machine can, or a stop
// before any test runs that names what is missing and how to get it. A suite that half-runs and reports "16 failed"
// for a missing sshd tells a new user nothing; one line naming the package does.
//
// Why each is needed: SSH clusters are tested against real sshd hosts, each a network namespace (ip, unshare and
// nsenter make them, ssh-keygen their host keys: hence root on Linux); `rsync` is what file_mounts and rsync-up
// run; tmux and screen back `attach --tmux/--screen`; tar carries the node runtime; python3 is a command that
// `exec` tests pass arguments to; redis-server is the real server the GCS store's redis backend is tested against;
// chromium is the browser the dashboard's tests drive (playwright-core, which never downloads one of its own).
import { accessSync, constants } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** program → the Debian package that has it. */
const NEEDS = [
  ['sshd', 'openssh-server'],
  ['ssh', 'openssh-client'],
  ['ssh-keygen', 'openssh-client'],
  ['rsync', 'rsync'],
  ['ip', 'iproute2'],
  ['unshare', 'util-linux'],
  ['nsenter', 'util-linux'],
  ['tar', 'tar'],
  ['tmux', 'tmux'],
  ['screen', 'screen'],
  ['python3', 'python3-minimal'],
  ['redis-server', 'redis-server'],
  ['chromium', 'chromium'],
];

const DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const found = (name) =>
  DIRS.some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

function stop(lines) {
  console.error(['error: the tests cannot run on this machine', ...lines].join('\n'));
  // The closing line CI reads: nothing ran, and that is one failure.
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const missingPackages = () => [...new Set(NEEDS.filter(([name]) => !found(name)).map(([, pkg]) => pkg))];
const installLine = (pkgs) => `apt-get update && apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;

if (process.platform !== 'linux') {
  stop([`  they start SSH test hosts in Linux network namespaces; this is ${process.platform}.`, 'hint: run them on Linux (a VM or container with root is fine).']);
}
const isRoot = process.getuid?.() === 0;
let missing = missingPackages();
if (!isRoot) {
  const also = missing.length > 0 ? [`  missing as well: ${missing.join(', ')} (Debian package names): sudo sh -c '${installLine(missing)}'`] : [];
  stop(['  the SSH test hosts are network namespaces, and making them needs root.', ...also, 'hint: run the tests as root: sudo npm test']);
}
if (missing.length > 0) {
  if (!found('apt-get')) {
    stop([`  missing: ${missing.join(', ')} (Debian package names), and there is no apt-get here to install them.`, "hint: install them with this system's package manager, then run npm test again."]);
  }
  console.log(`test set-up: installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...missing]]) {
    const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r.status !== 0) stop([`  apt-get ${args.join(' ')} exited ${r.status ?? r.signal}`, `hint: run it by hand (${installLine(missing)}) and look at its output.`]);
  }
  missing = missingPackages();
  if (missing.length > 0) stop([`  still missing after apt-get install: ${missing.join(', ')}`]);
}
