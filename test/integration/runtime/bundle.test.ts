/**
 * The node runtime bundle, copied to a temp folder with no node_modules above it (as on a node reached over
 * SSH), must run on its own: the agent loads, jobs import 'raylaunch' from it, ssh2 works without its native
 * addons, and a supervised head plus an agent run a job, survive a SIGKILL of the head and stop on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'mocha';
import { ProcessProvider } from '../../../providers/process/index.js';
import { isLive, readStat } from '../../../providers/process/proc.js';
import { headFile, type HeadInfo, operatorDigestFile } from '../../../src/common/node-args.js';
import { credentialDigest, mintCredential } from '../../../src/common/credentials.js';
import { loadConfigText } from '../../../src/config/load.js';
import { bundleJob } from '../../../src/launcher/bundle.js';
import { buildRuntime, type RuntimeBuild, runtimeHash } from '../../../src/runtime/build.js';
import { AGENT_ENTRY, CHECK_ENTRY, readRuntimeManifest, remoteRuntimeDir, SUPERVISOR_ENTRY } from '../../../src/runtime/layout.js';
import { freePort } from '../../helpers/free-port.js';
import { copyJobFixture } from '../../helpers/job-fixtures.js';
import { until } from '../../helpers/until.js';

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** `o.input`: written to the program's stdin (a node credential), which is then closed. */
function run(args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number; input?: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: o.cwd, env: o.env, stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (o.input !== undefined) child.stdin?.end(o.input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} did not finish within ${o.timeoutMs} ms\n${stdout}\n${stderr}`));
    }, o.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}


async function alive(pid: number): Promise<boolean> {
  const s = await readStat(pid);
  return s !== undefined && isLive(s);
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * A job folder as writeJobDir lays it out: job.mjs is the job fixture bundled as submit bundles it, and
 * node_modules/raylaunch links to the runtime.
 */
async function jobDir(parent: string, runtime: string, fixture: string): Promise<string> {
  const dir = mkdtempSync(join(parent, 'job-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(runtime, join(dir, 'node_modules', 'raylaunch'), 'dir');
  writeFileSync(join(dir, 'job.mjs'), await bundleJob(copyJobFixture(fixture, dir)));
  return dir;
}

/** A state folder as `up` leaves it for a head: config.json (defaults applied) and the operator's digest; the operator's credential stays here. */
async function stateDir(dir: string, yaml: string): Promise<{ dir: string; env: Record<string, string>; operator: string }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { config } = await loadConfigText(yaml, 'cluster.yaml', { missingFiles: 'warning' });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config), { mode: 0o600 });
  const operator = mintCredential('operator');
  writeFileSync(operatorDigestFile(dir), `${credentialDigest(operator)}\n`, { mode: 0o600 });
  return { dir, env: { RAYLAUNCH_STATE_DIR: dir }, operator };
}

describe('node runtime bundle (copied away from the repository)', function () {
  this.timeout(120_000);
  let tmp: string;
  let home: string;
  let rt: string;
  let built: RuntimeBuild;
  /** Only what a node would have: no raylaunch variables, no tsx loader, the remote-like home. */
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...extra });

  before(async () => {
    tmp = mkdtempSync(join(realpathSync(tmpdir()), 'raylaunch-runtime-'));
    home = join(tmp, 'home');
    built = await buildRuntime({ outDir: join(tmp, 'build') });
    rt = join(home, remoteRuntimeDir(built.manifest));
    mkdirSync(dirname(rt), { recursive: true });
    cpSync(built.dir, rt, { recursive: true });
    rmSync(built.dir, { recursive: true });
    for (let d = rt; dirname(d) !== d; d = dirname(d)) assert.ok(!existsSync(join(d, 'node_modules')), `${d} has a node_modules`);
    console.log(`      runtime ${built.manifest.version}-${built.manifest.hash}: ${built.manifest.files.length} files, ${(built.bytes / 1024).toFixed(0)} KiB, built in ${built.ms} ms`);
  });

  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('names its folder by a hash that is stable across builds and matches the files', async () => {
    const again = await buildRuntime({ outDir: join(tmp, 'build2') });
    rmSync(again.dir, { recursive: true });
    assert.deepEqual(again.manifest, built.manifest);
    const m = readRuntimeManifest(rt);
    assert.deepEqual(m, built.manifest);
    assert.match(remoteRuntimeDir(m), /^\.raylaunch\/runtime\/\d+\.\d+\.\d+[^/]*-[0-9a-f]{12}$/);
    assert.deepEqual([...readdirSync(rt)].sort(), [...m.files, 'manifest.json'].sort());
    assert.equal(runtimeHash(new Map(m.files.map((f) => [f, readFileSync(join(rt, f))]))), m.hash, 'the copy hashes to its name');
  });

  it('stays small enough to copy to every node: no unused cloud-library protos, no maps of dependency-only chunks', () => {
    // 112 MB when the GCP client library's index (v1beta, its 45 MB protos.js, 12 MB protos.json) and the maps of
    // the SDKs' chunks were bundled; about 11 MB without them.
    assert.ok(built.bytes < 16 * 1024 * 1024, `${(built.bytes / 1048576).toFixed(1)} MB`);
    for (const f of built.manifest.files.filter((n) => n.endsWith('.js'))) {
      const link = /\n\/\/# sourceMappingURL=(\S+)\n?$/.exec(readFileSync(join(rt, f), 'utf8'))?.[1];
      if (link) assert.ok(built.manifest.files.includes(link), `${f} links to ${link}, which is not in the runtime`);
    }
  });

  it('starts the agent, which fails as usual without its environment, with stacks in the TypeScript sources', async () => {
    const r = await run(['--enable-source-maps', join(rt, AGENT_ENTRY)], { cwd: tmp, env: env(), timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /RAYLAUNCH_STATE_DIR must be set/);
    assert.match(r.stderr, /src\/common\/node-args\.ts:\d+/, 'source maps lead to the .ts file');
  });

  it('serves `import \'raylaunch\'` to a job through a node_modules/raylaunch link', async () => {
    const dir = await jobDir(tmp, rt, 'bundle/resolve-raylaunch.ts');
    const r = await run([join(dir, 'job.mjs')], { cwd: dir, env: env(), timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { url: string; api: string[] };
    assert.deepEqual(out.api, ['function', 'function', 'function', 'function']);
    assert.equal(out.url, pathToFileURL(join(rt, 'client.js')).href, 'the link leads to the bundled client');
  });

  it('runs ssh2 from the bundle on its pure-JavaScript crypto (check.js)', async () => {
    const r = await run([join(rt, CHECK_ENTRY)], { cwd: tmp, env: env(), timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`raylaunch runtime ${built.manifest.version}-${built.manifest.hash} ok`));
    const code = readRuntimeManifest(rt).files.filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(rt, f), 'utf8')).join('\n');
    assert.match(code, /sshcrypto\.node is a native addon, left out/, 'the addon is replaced, not looked up at run time');
    assert.match(code, /cpu-features is a native addon, left out/);
  });

  it('supervisor: an agent exiting 0 (its head gone for good) is not restarted, and the supervisor leaves', async () => {
    const state = await stateDir(join(tmp, 'state-lonely'), [
      'cluster_name: lonely', 'provider: {type: process}', 'max_workers: 1', 'head_node_type: head',
      'available_node_types:', '  head: {resources: {CPU: 1}}', '  worker: {resources: {CPU: 1}}', 'raylaunch: {heartbeat_timeout_s: 1, head_reconnect_timeout_s: 1}', '',
    ].join('\n'));
    // A head that accepts and never answers: the agent waits in its first connect, so the supervisor (and its pid
    // file) stay until this test closes it; then the head is gone, and the agent leaves after head_reconnect_timeout_s.
    const sockets = new Set<Socket>();
    const hung = createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const head = `127.0.0.1:${(hung.address() as AddressInfo).port}`;
    const started = run([join(rt, SUPERVISOR_ENTRY), '--kind', 'worker', '--cluster', 'lonely', '--node', 'worker-1'], {
      cwd: tmp, env: env({ ...state.env, RAYLAUNCH_NODE_TYPE: 'worker', RAYLAUNCH_HEAD_ADDRESS: head }), timeoutMs: 60_000, input: `${mintCredential('node')}\n`,
    });
    const pidFile = join(state.dir, 'supervisor.pid');
    try {
      await until('the agent to connect to the head', 30_000, () => (sockets.size > 0 ? true : undefined));
      assert.equal(statSync(pidFile).mode & 0o777, 0o600, 'the pid file, written before the agent started');
    } finally {
      hung.close();
      for (const s of sockets) s.destroy();
    }
    const r = await started;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /raylaunch supervisor: agent exited \(code 0\); not restarting/);
    assert.doesNotMatch(r.stdout, /restarting in/);
    assert.ok(!existsSync(pidFile), 'the pid file goes with the supervisor');
  });

  it('supervisor: SIGTERM is forwarded, and a child that does not stop is killed after 5 s', async () => {
    const state = await stateDir(join(tmp, 'state-stuck'), [
      'cluster_name: stuck', 'provider: {type: process}', 'max_workers: 1', 'head_node_type: head',
      'available_node_types:', '  head: {resources: {CPU: 1}}', '  worker: {resources: {CPU: 1}}', 'raylaunch: {heartbeat_timeout_s: 60}', '',
    ].join('\n'));
    const supervisor = spawn(process.execPath, [join(rt, SUPERVISOR_ENTRY), '--kind', 'worker', '--cluster', 'stuck', '--node', 'worker-1'], {
      cwd: tmp, env: env({ ...state.env, RAYLAUNCH_NODE_TYPE: 'worker', RAYLAUNCH_HEAD_ADDRESS: `127.0.0.1:${await freePort()}` }), stdio: ['pipe', 'pipe', 'inherit'],
    });
    supervisor.stdin.end(`${mintCredential('node')}\n`);
    let out = '';
    supervisor.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = once(supervisor, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const pid = supervisor.pid ?? 0;
    let agentPid = 0;
    try {
      agentPid = await until('the agent', 30_000, () => Number(readOrEmpty(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/)[0]) || undefined);
      process.kill(agentPid, 'SIGSTOP'); // a stopped process cannot act on SIGTERM: it stands for a hung daemon
      process.kill(pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const [code] = await Promise.race([exited, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`supervisor still running:\n${out}`)), 30_000); })])
        .finally(() => clearTimeout(timer));
      assert.equal(code, 0);
      assert.match(out, /SIGTERM: stopping the agent[\s\S]*the agent did not stop within 5 s; killing it/);
      assert.ok(!(await alive(agentPid)));
    } finally {
      if (supervisor.exitCode === null && supervisor.signalCode === null) supervisor.kill('SIGKILL');
      if (agentPid && (await alive(agentPid))) process.kill(agentPid, 'SIGKILL');
    }
  });

  describe('a cluster run from the copy', () => {
    let provider: ProcessProvider | undefined;
    let state: { dir: string; env: Record<string, string>; operator: string };

    after(async () => {
      // Whatever a failed step left running: by the provider's records (pid + start time), never by name.
      if (provider) await provider.terminate((await provider.listNodes()).map((n) => n.id));
    });

    it('runs a job on a supervised head and its agent, restarts a SIGKILLed head, and stops on SIGTERM', async () => {
      const port = await freePort(); // fixed, so the agent finds the restarted head where the old one was
      state = await stateDir(join(home, '.raylaunch', 'clusters', 'bundled'), [
        'cluster_name: bundled', 'provider: {type: process}', 'max_workers: 1', 'head_node_type: head',
        'available_node_types:', '  head: {resources: {CPU: 0}}', '  worker: {resources: {CPU: 1}, min_workers: 1}',
        // the agent must outlast the head's restart, however slow it is here
        `raylaunch: {control_plane_port: ${port}, heartbeat_timeout_s: 120}`, '',
      ].join('\n'));
      const p = new ProcessProvider({
        clusterName: 'bundled', stateDir: state.dir,
        command: () => ({ file: process.execPath, args: ['--enable-source-maps', join(rt, SUPERVISOR_ENTRY), '--kind', 'head'], env: env(state.env) }),
      });
      provider = p;
      await p.launch({ requestId: 'head-bundle-test', nodeType: 'head', kind: 'head', count: 1 });
      const [headNode] = (await p.listNodes()).filter((n) => n.kind === 'head');
      assert.ok(headNode);
      const supervisorPid = Number(readFileSync(join(state.dir, 'nodes', `${headNode.id}.json`), 'utf8').match(/"pid":\s*(\d+)/)?.[1]);
      const log = join(state.dir, 'logs', `${headNode.id}.log`);
      const readHead = () => {
        const text = readOrEmpty(headFile(state.dir));
        return text ? JSON.parse(text) as HeadInfo : undefined;
      };
      const head1 = await until(`head.json (log: ${log})`, 20_000, readHead);
      assert.equal(head1.address, `127.0.0.1:${port}`);
      assert.equal(readFileSync(join(state.dir, 'supervisor.pid'), 'utf8').trim(), String(supervisorPid));

      const dir = await jobDir(tmp, rt, 'bundle/where.ts');
      const driverEnv = env({ RAYLAUNCH_ADDRESS: head1.address, RAYLAUNCH_TOKEN: state.operator });
      const runJob = async () => {
        const r = await run([join(dir, 'job.mjs')], { cwd: dir, env: driverEnv, timeoutMs: 60_000 });
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\nhead log:\n${readOrEmpty(log)}`);
        return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { x: number; pid: number; entry: string };
      };
      const first = await runJob();
      assert.equal(first.x, 42);
      assert.equal(first.entry, join(rt, 'worker-process.js'), 'tasks run in the bundled worker process');
      const worker = (await p.listNodes()).find((n) => n.kind === 'worker');
      assert.ok(worker, 'the head started its agent through the process provider');
      const agentPid = Number(readFileSync(join(state.dir, 'nodes', `${worker.id}.json`), 'utf8').match(/"pid":\s*(\d+)/)?.[1]);
      assert.ok(readFileSync(`/proc/${agentPid}/cmdline`, 'utf8').split('\0').includes(join(rt, AGENT_ENTRY)), 'the agent runs from the copy');

      process.kill(head1.pid, 'SIGKILL');
      await until('the supervisor to log the restart', 30_000, () => (/raylaunch supervisor: head exited \(SIGKILL\); restarting (now|in 1 s)/.test(readOrEmpty(log)) ? true : undefined));
      const head2 = await until('the restarted head', 20_000, () => { const h = readHead(); return h && h.pid !== head1.pid ? h : undefined; });
      assert.ok(!(await alive(head1.pid)));
      const second = await runJob(); // the agent found the new head on the same port
      assert.equal(second.x, 42);

      process.kill(supervisorPid, 'SIGTERM');
      const supervised = [supervisorPid, head1.pid, head2.pid];
      await until('the supervisor and its heads to exit', 30_000, async () => ((await Promise.all(supervised.map(alive))).some(Boolean) ? undefined : true));
      assert.match(readOrEmpty(log), /raylaunch supervisor: SIGTERM: stopping the head/);
      assert.ok(!existsSync(join(state.dir, 'supervisor.pid')));
      // The agent outlives its head by design (it waits heartbeat_timeout_s for it); stop it as `down` would.
      await p.terminate([worker.id]);
      for (const pid of [agentPid, first.pid, second.pid]) assert.ok(!(await alive(pid)), `pid ${pid} is gone`);
      assert.deepEqual(await p.listNodes(), []);
    });
  });
});
