// The Node.js installer for cloud nodes, run on a real host against a release server of the test's own (on the
// test bridge's address): a good tarball is installed under ~/.raylaunch/node; one whose checksum is not the one
// pinned in raylaunch's release, or not the one the server lists, installs nothing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { installNodeCommand, NODE_DIST_SHA256, NODE_DIST_VERSION, type NodeTarballSums } from '../../../src/updater/node-install.js';
import { createHosts, type TestHost, type TestHostPool } from '../../helpers/hosts/hosts.js';
import { testHostsOrFail } from '../../helpers/needs-hosts.js';

/** A release folder like nodejs.org/dist/<v>/ whose "node" only prints its version; `sha256`: its tarball's. */
function release(dir: string, version: string, arch: string, corrupt: boolean): { files: Record<string, Buffer>; sha256: string } {
  const name = `node-${version}-linux-${arch}`;
  mkdirSync(join(dir, name, 'bin'), { recursive: true });
  writeFileSync(join(dir, name, 'bin', 'node'), `#!/bin/sh\necho ${version}\n`);
  chmodSync(join(dir, name, 'bin', 'node'), 0o755);
  execFileSync('tar', ['-czf', join(dir, `${name}.tar.gz`), '-C', dir, name]);
  const tarball = readFileSync(join(dir, `${name}.tar.gz`));
  const sha256 = createHash('sha256').update(tarball).digest('hex');
  const listed = corrupt ? '0'.repeat(64) : sha256;
  return { sha256, files: { [`/${version}/${name}.tar.gz`]: tarball, [`/${version}/SHASUMS256.txt`]: Buffer.from(`${listed}  ${name}.tar.gz\n`) } };
}

describe('installing Node.js on a node (real host, release server of the test)', function () {
  this.timeout(30_000);
  if (!testHostsOrFail()) return;
  let hosts: TestHostPool;
  let host: TestHost;
  let server: Server;
  let base = '';
  let dir = '';
  /** raylaunch's pins for the test's releases: the sums of its own tarballs. */
  const pins: Record<string, NodeTarballSums> = {};
  const arch = execFileSync('uname', ['-m']).toString().trim() === 'aarch64' ? 'arm64' : 'x64';

  before(async () => {
    hosts = await createHosts(1);
    host = hosts.hosts[0] as TestHost;
    dir = mkdtempSync(join(tmpdir(), 'rl-node-dist-'));
    const good = release(join(dir, 'good'), 'v20.99.0', arch, false);
    const bad = release(join(dir, 'bad'), 'v20.98.0', arch, true);
    pins['v20.99.0'] = { x64: good.sha256, arm64: good.sha256 };
    pins['v20.98.0'] = { x64: bad.sha256, arm64: bad.sha256 };
    pins['v20.97.0'] = { x64: '1'.repeat(64), arm64: '1'.repeat(64) };
    const files = { ...good.files, ...bad.files };
    server = createServer((req, res) => {
      const body = files[req.url ?? ''];
      res.writeHead(body ? 200 : 404).end(body ?? 'not found');
    });
    // The bridge's own address: the one place outside the host it can reach.
    await new Promise<void>((r) => server.listen(0, '10.200.0.1', r));
    base = `http://10.200.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => server?.close(r));
    await hosts?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs a verified tarball under ~/.raylaunch/node and points current at it', async () => {
    const r = await hosts.exec(host, installNodeCommand({ version: 'v20.99.0', baseUrl: base, sha256: pins['v20.99.0'] as NodeTarballSums }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'v20.99.0');
    assert.equal((await hosts.exec(host, 'PATH="$HOME/.raylaunch/node/current/bin:$PATH" node --version')).stdout.trim(), 'v20.99.0');
  });

  it('refuses a tarball its server lists, but whose checksum is not the one raylaunch pins, and installs nothing', async () => {
    await hosts.exec(host, 'rm -rf ~/.raylaunch/node');
    // The server (or someone between it and the node) changed the tarball and its SHASUMS256.txt alike.
    const r = await hosts.exec(host, installNodeCommand({ version: 'v20.99.0', baseUrl: base, sha256: { x64: 'a'.repeat(64), arm64: 'a'.repeat(64) } }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`checksum mismatch for node-v20\\.99\\.0-linux-${arch}\\.tar\\.gz: raylaunch pins a{64} for it, the download is [0-9a-f]{64}; nothing was installed`));
    assert.notEqual((await hosts.exec(host, 'test -e ~/.raylaunch/node/v20.99.0 || test -e ~/.raylaunch/node/current')).code, 0, 'nothing installed');
    assert.equal((await hosts.exec(host, 'ls -A ~/.raylaunch/node | grep -c download || true')).stdout.trim(), '0', 'the download folder is removed');
  });

  it('refuses a tarball whose checksum its server\'s SHASUMS256.txt does not list, and installs nothing', async () => {
    const r = await hosts.exec(host, installNodeCommand({ version: 'v20.98.0', baseUrl: base, sha256: pins['v20.98.0'] as NodeTarballSums }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /checksum mismatch for node-v20\.98\.0-linux-\w+\.tar\.gz/);
    assert.notEqual((await hosts.exec(host, 'test -e ~/.raylaunch/node/v20.98.0')).code, 0);
    assert.equal((await hosts.exec(host, 'ls -A ~/.raylaunch/node | grep -c download || true')).stdout.trim(), '0', 'the download folder is removed');
  });

  it('says so when the release has no build for the version', async () => {
    const r = await hosts.exec(host, installNodeCommand({ version: 'v20.97.0', baseUrl: base, sha256: pins['v20.97.0'] as NodeTarballSums }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /404|not listed/);
  });

  it('raylaunch pins the SHA-256 of both tarballs of the release it installs', () => {
    const sums = NODE_DIST_SHA256[NODE_DIST_VERSION];
    assert.match(sums?.x64 ?? '', /^[0-9a-f]{64}$/);
    assert.match(sums?.arm64 ?? '', /^[0-9a-f]{64}$/);
    assert.notEqual(sums?.x64, sums?.arm64);
  });
});
