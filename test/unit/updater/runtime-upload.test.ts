import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { after, describe, it } from 'mocha';
import { applyDefaults } from '../../../src/config/defaults.js';
import type { LocalRuntime } from '../../../src/runtime/layout.js';
import { NodeUpdater } from '../../../src/updater/node-updater.js';
import { packRuntime } from '../../../src/updater/runtime-pack.js';
import type { CommandRunner, RunOptions, RunResult } from '../../../src/updater/runner.js';

const dir = mkdtempSync(join(tmpdir(), 'rl-runtime-upload-'));
const runtimeDir = join(dir, 'runtime');
mkdirSync(runtimeDir);
// Source-like text compresses as the real bundle does; the head-only file stands for the AWS SDK's chunks.
const AGENT = 'export function heartbeat(node) { return { node, at: Date.now() }; }\n'.repeat(20_000);
writeFileSync(join(runtimeDir, 'agent.js'), AGENT);
writeFileSync(join(runtimeDir, 'package.json'), '{"name":"raylaunch"}\n');
writeFileSync(join(runtimeDir, 'sdk-chunk.js'), 'export class DescribeInstancesCommand {}\n');
writeFileSync(join(runtimeDir, 'manifest.json'), '{}\n');
const RAW_WORKER_BYTES = AGENT.length;
const runtime: LocalRuntime = {
  dir: runtimeDir, version: '0.0.0', hash: 'aaaaaaaaaaaa', worker: { hash: 'bbbbbbbbbbbb', files: ['agent.js', 'package.json'] },
};

async function bytesOf(stdin: RunOptions['stdin']): Promise<Buffer> {
  if (stdin === undefined) return Buffer.alloc(0);
  if (typeof stdin === 'string') return Buffer.from(stdin);
  if (Buffer.isBuffer(stdin)) return stdin;
  const chunks: Buffer[] = [];
  for await (const c of stdin as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A host with Node.js and the given runtime folders; every command and what its stdin carried is recorded. */
function host(present: string[]): CommandRunner & { uploads: { cmd: string; bytes: Buffer }[]; commands: string[] } {
  const uploads: { cmd: string; bytes: Buffer }[] = [];
  const commands: string[] = [];
  const ok = (stdout = ''): RunResult => ({ code: 0, stdout, stderr: '' });
  return {
    host: '10.0.0.9', uploads, commands,
    async run(cmd, o = {}) {
      commands.push(cmd);
      if (cmd.includes('tar -x')) uploads.push({ cmd, bytes: await bytesOf(o.stdin) });
      if (cmd.includes('echo "node=')) {
        const has = present.some((f) => cmd.includes(`.raylaunch/runtime/${f}/manifest.json`));
        return ok(`node=v20.99.0\n${has ? 'runtime=present\n' : ''}hash=\nconfhash=\n`);
      }
      return ok();
    },
    writeFile: () => Promise.resolve(),
    forward: () => Promise.reject(new Error('unused')),
    close: () => Promise.resolve(),
  };
}

function updater(runner: CommandRunner, kind: 'head' | 'worker') {
  const config = applyDefaults({ cluster_name: 'n', provider: { type: 'local', head_ip: '10.0.0.9', worker_ips: ['10.0.0.9'] }, auth: { ssh_user: 'ubuntu' } });
  return new NodeUpdater({
    runner, config, node: { id: 'n1', kind, nodeType: config.head_node_type, ip: '10.0.0.9' }, headAddress: kind === 'head' ? '' : '10.0.0.1:6380',
    runtime, runtimeHash: 'h', files: {}, mountSource: (_r, l) => l, attempts: 1,
  });
}

/** The names and contents of an uncompressed tar. */
function untar(tar: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  for (let at = 0; at + 512 <= tar.length && tar[at] !== 0;) {
    const name = tar.subarray(at, at + 100).toString().replace(/\0.*$/s, '');
    const size = parseInt(tar.subarray(at + 124, at + 136).toString().replace(/\0.*$/s, ''), 8);
    out.set(name, tar.subarray(at + 512, at + 512 + size).toString());
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

describe('the runtime upload', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('sends a worker one gzipped tar of its part of the runtime, far smaller than the files, with a manifest of that part', async () => {
    const node = host([]);
    await updater(node, 'worker').update();
    assert.equal(node.uploads.length, 1);
    const [up] = node.uploads as [{ cmd: string; bytes: Buffer }];
    assert.match(up.cmd, /tar -xzf - /);
    assert.match(up.cmd, /\.raylaunch\/runtime\/0\.0\.0-bbbbbbbbbbbb;/);
    assert.ok(up.bytes.length < RAW_WORKER_BYTES / 20, `${up.bytes.length} bytes sent for ${RAW_WORKER_BYTES} bytes of files`);
    const files = untar(gunzipSync(up.bytes));
    assert.deepEqual([...files.keys()], ['agent.js', 'package.json', 'manifest.json']);
    assert.equal(files.get('agent.js'), AGENT);
    assert.deepEqual(JSON.parse(files.get('manifest.json') ?? ''), { version: '0.0.0', hash: 'bbbbbbbbbbbb', files: ['agent.js', 'package.json'] });
  });

  it('skips a worker whose host has its runtime folder, and sends a head on that host the whole runtime into a folder of its own', async () => {
    const node = host(['0.0.0-bbbbbbbbbbbb']);
    await updater(node, 'worker').update();
    assert.equal(node.uploads.length, 0, 'nothing sent to a host that has the worker runtime');
    await updater(node, 'head').update();
    assert.equal(node.uploads.length, 1);
    assert.match(node.uploads[0]?.cmd ?? '', /\.raylaunch\/runtime\/0\.0\.0-aaaaaaaaaaaa;/);
    assert.deepEqual([...untar(gunzipSync(node.uploads[0]?.bytes ?? Buffer.alloc(0))).keys()], ['agent.js', 'manifest.json', 'package.json', 'sdk-chunk.js']);
  });

  it('packs a runtime once per folder and part: every worker gets the same bytes', async () => {
    const a = await packRuntime({ ...runtime, hash: 'cccccccccccc', files: ['agent.js'] });
    const b = await packRuntime({ ...runtime, hash: 'cccccccccccc', files: ['agent.js'] });
    assert.equal(a, b);
  });

  it('packs a tar that the system tar unpacks to the same files', async () => {
    const out = join(dir, 'unpacked');
    mkdirSync(out);
    const r = spawnSync('tar', ['-xzf', '-', '-C', out], { input: await packRuntime({ dir: runtimeDir, version: '0.0.0', hash: 'aaaaaaaaaaaa' }) });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.deepEqual(readdirSync(out).sort(), readdirSync(runtimeDir).sort());
    for (const f of readdirSync(out)) assert.equal(readFileSync(join(out, f), 'utf8'), readFileSync(join(runtimeDir, f), 'utf8'), f);
  });
});
