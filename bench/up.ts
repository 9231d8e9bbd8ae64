// bench/up.ts — `raylaunch up` of a local-provider (SSH) cluster on real sshd test hosts (test/helpers/hosts/hosts.ts:
// network namespaces on 10.200.0.0/24), each figure the median of several trials next to a baseline measured in the
// same run with OpenSSH/rsync, the tools Ray's launcher uses:
//   1. `up` of a head + 10 workers on 11 fresh hosts (the runtime is uploaded to each) vs OpenSSH doing the
//      least Ray does per node (login, rsync of the runtime; head first, then the workers in parallel);
//   2. `up` again on the unchanged cluster vs one `ssh head true`;
//   3. ssh2 connect + exec `true` (SshPool) vs `ssh -o BatchMode=yes host true`;
//   4. file_mounts throughput of syncMount vs `rsync -a` over OpenSSH (1,000 small files; one 200 MB file).
// Only the test subnet and loopback are addressed; OpenSSH runs with `-F /dev/null` and a temporary known_hosts
// (never ~/.ssh); RAYLAUNCH_HOME is a temporary folder. Run: npm run bench:up
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { syncMount } from '../src/updater/file-sync.js';
import type { SshTarget } from '../src/updater/runner.js';
import { SshPool } from '../src/updater/ssh/pool.js';
import { createHosts, type TestHost, type TestHostPool } from '../test/helpers/hosts/hosts.js';

const ROOT = new URL('..', import.meta.url).pathname;
const RUNTIME_DIR = join(ROOT, 'dist', 'runtime');
const WORKERS = 10;
/** BENCH_QUICK=1: one trial of everything, to try the script out (not for figures). */
const QUICK = process.env.BENCH_QUICK === '1';
const UP_TRIALS = QUICK ? 1 : 5; // fresh 11-host clusters
const REUPS = QUICK ? 1 : 3; // `up` again per cluster
const CONNECT_HOSTS = 4;
const CONNECT_ROUNDS = QUICK ? 1 : 5; // × CONNECT_HOSTS samples each way
const SYNC_TRIALS = QUICK ? 1 : 5;
const SMALL_FILES = 1000;
const BIG_BYTES = 200 * 1000 * 1000;
/** The whole run stops starting new trials after this; every process below has its own timeout too. */
const BUDGET_MS = 20 * 60_000;
const CMD_TIMEOUT_MS = 120_000;

const started = performance.now();
const inBudget = () => performance.now() - started < BUDGET_MS;
const home = mkdtempSync(join(tmpdir(), 'raylaunch-bench-up-'));
const env = { ...process.env, RAYLAUNCH_HOME: home };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const range = (xs: number[], f: (x: number) => string) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
const ms = (x: number) => `${Math.round(x).toLocaleString('en-US')} ms`;
const mbs = (x: number) => `${x.toFixed(0)} MB/s`;

interface Done {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** spawn → exit */
  ms: number;
  /** stderr lines with their arrival time after spawn */
  lines: { at: number; text: string }[];
}

/** Runs a program to its exit (timed spawn → exit), killed by its PID after `timeoutMs`. */
function runProc(file: string, args: string[], o: { timeoutMs?: number; cwd?: string } = {}): Promise<Done> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    // stdin ignored; the output is read, but resolving waits only for the exit: an OpenSSH ControlPersist master
    // detaches with its own copy of stdio.
    const child: ChildProcess = spawn(file, args, { env, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const lines: Done['lines'] = [];
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => {
      const at = performance.now() - t0;
      stderr += d.toString();
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) lines.push({ at, text });
    });
    const timer = setTimeout(() => { if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL'); }, o.timeoutMs ?? CMD_TIMEOUT_MS);
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: 127, signal: null, stdout, stderr: `${stderr}${e.message}`, ms: performance.now() - t0, lines });
    });
    child.once('exit', (code, signal) => {
      const t = performance.now() - t0;
      clearTimeout(timer);
      // let the pipes drain what was already written (bounded: a detached master may hold them open)
      const finish = () => resolve({ code, signal, stdout, stderr, ms: t, lines });
      let settled = false;
      const once = () => { if (!settled) { settled = true; finish(); } };
      child.once('close', once);
      setTimeout(once, 200);
    });
  });
}

function must(d: Done, what: string): Done {
  if (d.code !== 0) throw new Error(`${what} failed (exit ${d.code ?? d.signal}):\n${d.stdout.slice(-2000)}\n${d.stderr.slice(-2000)}`);
  return d;
}

const cli = (args: string[], timeoutMs = CMD_TIMEOUT_MS) => runProc(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { timeoutMs });

// ---- OpenSSH, Ray-style: -F /dev/null so ~/.ssh is neither read nor created; a known_hosts of our own ----

function sshOpts(pool: TestHostPool, knownHosts: string, extra: string[] = []): string[] {
  return [
    '-F', '/dev/null', '-i', pool.keyPath, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=accept-new',
    '-o', 'ConnectTimeout=10', '-o', 'LogLevel=ERROR', ...extra,
  ];
}

/** `ssh … root@ip true` on a fresh connection (no multiplexing). */
const sshTrue = (pool: TestHostPool, kh: string, h: TestHost) => runProc('ssh', [...sshOpts(pool, kh, ['-o', 'ControlMaster=no', '-o', 'ControlPath=none']), `root@${h.ip}`, 'true'], { timeoutMs: 30_000 });

/** Ray's SSHCommandRunner keeps one ControlMaster per node (ControlPersist); its rsync rides on it. */
const muxOpts = (pool: TestHostPool, kh: string, sock: string) => sshOpts(pool, kh, ['-o', `ControlPath=${sock}`]);

function openMaster(pool: TestHostPool, kh: string, sock: string, h: TestHost): Promise<Done> {
  return runProc('ssh', [...muxOpts(pool, kh, sock), '-o', 'ControlMaster=yes', '-o', 'ControlPersist=120', `root@${h.ip}`, 'true'], { timeoutMs: 30_000 });
}

/** Ends the ControlPersist master we started: its PID from `-O check`, then SIGTERM to that PID. */
async function closeMaster(pool: TestHostPool, kh: string, sock: string, h: TestHost): Promise<void> {
  const check = await runProc('ssh', [...muxOpts(pool, kh, sock), '-O', 'check', `root@${h.ip}`], { timeoutMs: 10_000 });
  const pid = /pid=(\d+)/.exec(check.stderr)?.[1];
  if (pid === undefined) return;
  try {
    process.kill(Number(pid), 'SIGTERM');
  } catch {
    // already gone
  }
}

function rsyncArgs(pool: TestHostPool, kh: string, sock: string, src: string, h: TestHost, dest: string): string[] {
  return ['-a', '-e', ['ssh', ...muxOpts(pool, kh, sock)].join(' '), src, `root@${h.ip}:${dest}`];
}

async function hostSh(pool: TestHostPool, h: TestHost, cmd: string): Promise<string> {
  const r = await pool.exec(h, cmd, { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`on ${h.ns}: \`${cmd}\` exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

// ---- 1 + 2: up on fresh hosts, then again unchanged ----

interface UpTrial {
  up: number;
  baseline: number;
  baselineHead: number;
  headReady: number;
  lastWorker: number;
  reups: number[];
  sshHead: number[];
  cliStart: number[];
  down: number;
  leftovers: number;
}

const runtimeManifest = JSON.parse(readFileSync(join(RUNTIME_DIR, 'manifest.json'), 'utf8')) as { version: string; hash: string; files: string[]; worker?: { hash: string; files: string[] } };
const runtimeFiles = readdirSync(RUNTIME_DIR).length;

async function upTrial(i: number): Promise<UpTrial> {
  const dir = mkdtempSync(join(home, `up${i}-`));
  const kh = join(dir, 'known_hosts');
  const pool = await createHosts(WORKERS + 1);
  const name = `benchup${process.pid}t${i}`;
  const cfg = join(dir, 'cluster.yaml');
  let needsDown = false;
  try {
    const [head, ...workers] = pool.hosts;
    if (!head) throw new Error('no head host');
    // Baseline: per node, the login Ray's updater does first (its `uptime` probe, opening the ControlMaster) and
    // an rsync of the runtime over it; the head first, then the workers in parallel (as Ray's structure); nothing
    // is started. Into a folder of its own, so the runtime folder raylaunch uses stays fresh.
    const sock = (h: TestHost) => join(dir, `cm${h.n}`);
    const node = async (h: TestHost) => {
      must(await openMaster(pool, kh, sock(h), h), `ssh ${h.ip} true`);
      must(await runProc('rsync', rsyncArgs(pool, kh, sock(h), `${RUNTIME_DIR}/`, h, '.bench-baseline-runtime/')), `rsync to ${h.ip}`);
    };
    const b0 = performance.now();
    let baselineHead = NaN;
    try {
      await node(head);
      baselineHead = performance.now() - b0;
      await Promise.all(workers.map(node));
    } finally {
      await Promise.all(pool.hosts.map((h) => closeMaster(pool, kh, sock(h), h)));
    }
    const baseline = performance.now() - b0;
    for (const h of pool.hosts) {
      const n = Number(await hostSh(pool, h, 'ls -A .bench-baseline-runtime | wc -l'));
      if (n !== runtimeFiles) throw new Error(`baseline rsync: ${n} of ${runtimeFiles} runtime files on ${h.ns}`);
    }

    writeFileSync(cfg, [
      `cluster_name: ${name}`,
      `provider: {type: local, head_ip: ${head.ip}, worker_ips: [${workers.map((w) => w.ip).join(', ')}]}`,
      `auth: {ssh_user: root, ssh_private_key: ${pool.keyPath}}`,
      `min_workers: ${WORKERS}`, `max_workers: ${WORKERS}`, '',
    ].join('\n'));
    needsDown = true;
    const up = must(await cli(['up', cfg, '-y', '--log-style', 'plain']), `raylaunch up (trial ${i + 1})`);
    const headReady = up.lines.find((l) => /^waiting for \d+ min_workers/.test(l.text))?.at ?? NaN;
    const registered = new Map<string, number>();
    for (const l of up.lines) {
      const m = /^(\S+): registered /.exec(l.text);
      if (m?.[1] && !registered.has(m[1])) registered.set(m[1], l.at);
    }
    if (registered.size !== WORKERS) throw new Error(`up exited with ${registered.size} of ${WORKERS} workers shown registered:\n${up.stderr}`);
    const status = JSON.parse(must(await cli(['status', cfg, '--json']), 'raylaunch status').stdout) as { nodes: { kind: string; state: string }[] };
    const alive = status.nodes.filter((n) => n.kind === 'worker' && n.state === 'ALIVE').length;
    if (alive !== WORKERS) throw new Error(`status after up: ${alive} of ${WORKERS} workers ALIVE`);
    // The head gets the whole runtime; a worker only its part (with a manifest of its own), in a folder of its own.
    const part = runtimeManifest.worker;
    for (const h of pool.hosts) {
      const isHead = h === head || !part;
      const rel = `.raylaunch/runtime/${runtimeManifest.version}-${isHead ? runtimeManifest.hash : part.hash}`;
      const want = isHead ? runtimeFiles : part.files.length + 1;
      const n = Number(await hostSh(pool, h, `ls -A ${rel} | wc -l`));
      if (n !== want) throw new Error(`raylaunch: ${n} of ${want} runtime files in ${rel} on ${h.ns}`);
    }

    const reups: number[] = [];
    const sshHead: number[] = [];
    const cliStart: number[] = [];
    for (let j = 0; j < REUPS; j++) {
      sshHead.push(must(await sshTrue(pool, kh, head), `ssh ${head.ip} true`).ms);
      const again = must(await cli(['up', cfg, '-y', '--log-style', 'plain']), 'raylaunch up (again)');
      if (!/is already up/.test(again.stdout)) throw new Error(`the second up did not find the cluster unchanged:\n${again.stdout}`);
      reups.push(again.ms);
      cliStart.push(must(await cli(['--version']), 'raylaunch --version').ms);
    }
    const down = must(await cli(['down', cfg, '-y']), 'raylaunch down');
    needsDown = false;
    const leftovers = (await Promise.all(pool.hosts.map((h) => pool.pids(h)))).flat().length;
    return { up: up.ms, baseline, baselineHead, headReady, lastWorker: Math.max(...registered.values()), reups, sshHead, cliStart, down: down.ms, leftovers };
  } finally {
    if (needsDown) await cli(['down', cfg, '-y']).catch(() => undefined);
    await pool.remove();
  }
}

// ---- 3: SSH connect per host ----

async function connectBench(pool: TestHostPool): Promise<{ ssh2: number[]; openssh: number[] }> {
  const dir = mkdtempSync(join(home, 'connect-'));
  const kh = join(dir, 'known_hosts_openssh');
  const target = (h: TestHost): SshTarget => ({ host: h.ip, user: 'root', privateKeyPath: pool.keyPath, knownHostsPath: join(dir, 'known_hosts_ssh2') });
  const ssh2Once = async (h: TestHost) => {
    const sp = new SshPool();
    try {
      const t0 = performance.now();
      const r = await sp.runner(target(h)).run('true');
      const t = performance.now() - t0;
      if (r.code !== 0) throw new Error(`ssh2 true on ${h.ip}: exit ${r.code}`);
      return t;
    } finally {
      await sp.close();
    }
  };
  // first contact pins each host's key for both (not measured)
  for (const h of pool.hosts) {
    await ssh2Once(h);
    must(await sshTrue(pool, kh, h), `ssh ${h.ip} true`);
  }
  const ssh2: number[] = [];
  const openssh: number[] = [];
  for (let r = 0; r < CONNECT_ROUNDS && inBudget(); r++) {
    for (const h of pool.hosts) {
      const first = r % 2 === 0;
      if (first) ssh2.push(await ssh2Once(h));
      openssh.push(must(await sshTrue(pool, kh, h), `ssh ${h.ip} true`).ms);
      if (!first) ssh2.push(await ssh2Once(h));
    }
  }
  return { ssh2, openssh };
}

// ---- 4: file_mounts throughput ----

interface SyncFigures {
  small: { ssh2: number[]; rsync: number[]; floor: number[] };
  big: { ssh2: number[]; rsync: number[]; floor: number[] };
  smallBytes: number;
}

/** count, bytes and a checksum over every file's path and content, run in `cwd` (locally or in a host). */
const TREE_SUM = `find . -type f | wc -l; find . -type f -printf '%s\\n' | awk '{s+=$1} END {print s+0}'; find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64`;

async function localSh(cwd: string, cmd: string): Promise<string> {
  return must(await runProc('sh', ['-c', cmd], { cwd, timeoutMs: 60_000 }), `sh -c ${cmd}`).stdout.trim();
}

function makeData(dir: string): { small: string; big: string; smallBytes: number } {
  const small = join(dir, 'small');
  let smallBytes = 0;
  for (let i = 0; i < SMALL_FILES; i++) {
    const sub = join(small, `d${i % 20}`);
    mkdirSync(sub, { recursive: true });
    const size = 1024 + ((i * 2654435761) % (7 * 1024 + 1)); // 1–8 KiB, spread deterministically
    writeFileSync(join(sub, `f${i}.bin`), randomBytes(size));
    smallBytes += size;
  }
  const big = join(dir, 'big.bin');
  const fd = openSync(big, 'w');
  try {
    for (let left = BIG_BYTES; left > 0; left -= 1 << 20) writeSync(fd, randomBytes(Math.min(left, 1 << 20)));
  } finally {
    closeSync(fd);
  }
  return { small, big, smallBytes };
}

async function syncBench(pool: TestHostPool, h: TestHost): Promise<SyncFigures> {
  const dir = mkdtempSync(join(home, 'sync-'));
  const kh = join(dir, 'known_hosts');
  const sock = join(dir, 'cm');
  const data = makeData(dir);
  const smallSum = await localSh(data.small, TREE_SUM);
  const bigSum = (await localSh(dir, 'sha256sum big.bin')).slice(0, 64);
  const filters = { rsync_exclude: [], rsync_filter: [] };
  const sp = new SshPool();
  const runner = sp.runner({ host: h.ip, user: 'root', privateKeyPath: pool.keyPath, knownHostsPath: join(dir, 'known_hosts_ssh2') });
  const out: SyncFigures = { small: { ssh2: [], rsync: [], floor: [] }, big: { ssh2: [], rsync: [], floor: [] }, smallBytes: data.smallBytes };
  // The disk's share, no network: inside the host, unpack the same files from a tar piped through `cat` (what the
  // remote side of syncMount does) / copy the big file; timed inside the host.
  const floor = async (prepare: string, timed: string) => {
    const us = await hostSh(pool, h, `rm -rf bench-floor && mkdir -p bench-floor/x && ${prepare} && s=$(date +%s%N) && ${timed} && e=$(date +%s%N) && echo $(( (e - s) / 1000 ))`);
    await hostSh(pool, h, 'rm -rf bench-floor');
    return Number(us) / 1000;
  };
  try {
    // Both sides on an open connection, as in `up` (raylaunch's probe; Ray's ControlMaster from its `uptime`).
    must(await openMaster(pool, kh, sock, h), `ssh ${h.ip} true`);
    if ((await runner.run('true')).code !== 0) throw new Error('ssh2 true failed');
    const clean = () => hostSh(pool, h, 'rm -rf bench-sync && mkdir bench-sync');
    const verifySmall = async (rel: string) => {
      const got = await hostSh(pool, h, `cd ${rel} && ${TREE_SUM}`);
      if (got !== smallSum) throw new Error(`small files in ${rel} differ: got ${got.replace(/\n/g, ' ')}, want ${smallSum.replace(/\n/g, ' ')}`);
    };
    const verifyBig = async (rel: string) => {
      const got = (await hostSh(pool, h, `sha256sum ${rel}`)).slice(0, 64);
      if (got !== bigSum) throw new Error(`${rel}: sha256 ${got}, want ${bigSum}`);
    };
    const ssh2Small = async () => {
      const t0 = performance.now();
      await syncMount(runner, '~/bench-sync/ssh2-small', data.small, filters);
      out.small.ssh2.push(performance.now() - t0);
      await verifySmall('bench-sync/ssh2-small');
      out.small.floor.push(await floor('tar -cf bench-floor/t.tar -C bench-sync/ssh2-small .', 'cat bench-floor/t.tar | tar -xf - -C bench-floor/x'));
    };
    const rsyncSmall = async () => {
      out.small.rsync.push(must(await runProc('rsync', rsyncArgs(pool, kh, sock, `${data.small}/`, h, 'bench-sync/rsync-small/')), 'rsync small').ms);
      await verifySmall('bench-sync/rsync-small');
    };
    const ssh2Big = async () => {
      const t0 = performance.now();
      await syncMount(runner, '~/bench-sync/ssh2-big.bin', data.big, filters);
      out.big.ssh2.push(performance.now() - t0);
      await verifyBig('bench-sync/ssh2-big.bin');
      out.big.floor.push(await floor('true', 'cat bench-sync/ssh2-big.bin > bench-floor/x/big.bin'));
    };
    const rsyncBig = async () => {
      out.big.rsync.push(must(await runProc('rsync', rsyncArgs(pool, kh, sock, data.big, h, 'bench-sync/rsync-big.bin')), 'rsync big').ms);
      await verifyBig('bench-sync/rsync-big.bin');
    };
    for (let t = 0; t < SYNC_TRIALS && inBudget(); t++) {
      // fresh destinations each trial (a full copy, not an rsync delta); the order alternates
      for (const pair of [[ssh2Small, rsyncSmall], [ssh2Big, rsyncBig]]) {
        for (const step of t % 2 === 0 ? pair : [...pair].reverse()) {
          await clean();
          await step?.();
        }
      }
    }
    await clean();
  } finally {
    await sp.close();
    await closeMaster(pool, kh, sock, h);
  }
  return out;
}

// ---- main ----

async function main(): Promise<void> {
  const ups: UpTrial[] = [];
  for (let i = 0; i < UP_TRIALS && inBudget(); i++) {
    process.stderr.write(`up trial ${i + 1}/${UP_TRIALS} (11 fresh hosts)…\n`);
    ups.push(await upTrial(i));
    const u = ups[ups.length - 1];
    if (u) process.stderr.write(`  up ${ms(u.up)} (baseline ${ms(u.baseline)}), again ${u.reups.map(ms).join(', ')}, down ${ms(u.down)}\n`);
  }
  process.stderr.write('ssh connect and file sync…\n');
  const pool = await createHosts(CONNECT_HOSTS);
  let conn: { ssh2: number[]; openssh: number[] };
  let sync: SyncFigures;
  try {
    conn = await connectBench(pool);
    const h = pool.hosts[0];
    if (!h) throw new Error('no host');
    sync = await syncBench(pool, h);
  } finally {
    await pool.remove();
  }

  const up = median(ups.map((u) => u.up));
  const base = median(ups.map((u) => u.baseline));
  const reups = ups.flatMap((u) => u.reups);
  const sshHead = ups.flatMap((u) => u.sshHead);
  const rate = (bytes: number, t: number) => bytes / 1e6 / (t / 1000);
  const sR = { ssh2: rate(sync.smallBytes, median(sync.small.ssh2)), rsync: rate(sync.smallBytes, median(sync.small.rsync)) };
  const bR = { ssh2: rate(BIG_BYTES, median(sync.big.ssh2)), rsync: rate(BIG_BYTES, median(sync.big.rsync)) };
  const x = (r: number) => `${r.toFixed(1)}×`;
  /** how many samples are within 20 ms of the fastest, and by how much the others (median) are slower */
  const modes = (xs: number[]) => {
    const lo = Math.min(...xs);
    const slow = xs.filter((v) => v > lo + 20);
    return `${xs.length - slow.length} of ${xs.length} within 20 ms of the fastest${slow.length ? `, the other ${slow.length} ${ms(median(slow) - lo)} slower (median)` : ''}`;
  };
  const met = (ok: boolean) => (ok ? ' ✓' : ' ✗');
  const smallMB = (sync.smallBytes / 1e6).toFixed(1);
  const rows = [
    [`\`up\`, head + ${WORKERS} workers, fresh hosts`, ms(up), ms(base), x(base / up), `≤ 5,000 ms${met(up <= 5000)}`, '≥ ~15,000 ms'],
    ['`up` again, unchanged cluster', ms(median(reups)), ms(median(sshHead)), x(median(sshHead) / median(reups)), `≤ 2,000 ms${met(median(reups) <= 2000)}`, '—'],
    ['SSH connect + exec `true`, per host', ms(median(conn.ssh2)), ms(median(conn.openssh)), x(median(conn.openssh) / median(conn.ssh2)), `≤ 150 ms${met(median(conn.ssh2) <= 150)}`, '= baseline (OpenSSH)'],
    [`file_mounts, ${SMALL_FILES.toLocaleString('en-US')} files of 1–8 KiB (${smallMB} MB)`, mbs(sR.ssh2), mbs(sR.rsync), x(sR.ssh2 / sR.rsync), `≥ rsync${met(sR.ssh2 >= sR.rsync)}`, '= baseline (rsync)'],
    ['file_mounts, one 200 MB file', mbs(bR.ssh2), mbs(bR.rsync), x(bR.ssh2 / bR.rsync), `≥ 100 MB/s${met(bR.ssh2 >= 100)}`, '= baseline (rsync)'],
  ];
  const header = ['figure', 'raylaunch (median)', 'baseline (median, same run)', 'raylaunch vs baseline', 'goal', 'Ray (structural, not measured)'];
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(`\n${line(header)}\n|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|\n${rows.map(line).join('\n')}\n`);
  const n = ups.length;
  console.log([
    `1. ${n} trials, 11 fresh test hosts each (so the ${runtimeFiles}-file runtime ${runtimeManifest.version}-${runtimeManifest.hash} is uploaded to every host); time from spawning \`bin/run.js up cfg.yaml -y --log-style plain\` to its exit, which came after all ${WORKERS} workers showed "registered" (checked, and ${WORKERS} ALIVE in \`status --json\` after; the runtime checked on all 11 hosts). The head was ready at ${ms(median(ups.map((u) => u.headReady)))} and the last worker registered at ${ms(median(ups.map((u) => u.lastWorker)))} (medians; up ranged ${range(ups.map((u) => u.up), ms)}). Baseline: OpenSSH as Ray's command runner uses it (ControlMaster per node, opened by a login running \`true\`, then \`rsync -a\` of dist/runtime over it), the head first (done at ${ms(median(ups.map((u) => u.baselineHead)))}), then the ${WORKERS} workers in parallel, starting nothing (${range(ups.map((u) => u.baseline), ms)}); run before \`up\` on the same hosts, into a folder of its own. Ray's figure is structural: head-then-workers, a 5 s autoscaler loop and 5 s SSH polls (performance-anchors.md row 17).`,
    `2. ${reups.length} runs (${REUPS} on each of the ${n} clusters), ${range(reups, ms)}; the CLI alone (\`bin/run.js --version\`) takes ${ms(median(ups.flatMap((u) => u.cliStart)))}. Baseline: one \`ssh root@head true\` with OpenSSH on a fresh connection (${sshHead.length} runs, ${range(sshHead, ms)}). Ray's \`ray up\` on an unchanged cluster re-runs the head's start commands (restarts Ray) unless --no-restart; no figure published.`,
    `3. ${conn.ssh2.length} samples each over ${CONNECT_HOSTS} hosts, alternating order, host keys pinned beforehand: ssh2 = a new SshPool, \`runner.run('true')\` from connect to the exit status (${range(conn.ssh2, ms)}; ${modes(conn.ssh2)}); OpenSSH = \`ssh -F /dev/null -o BatchMode=yes … root@host true\` spawn to exit, default KEX (${range(conn.openssh, ms)}).`,
    `4. ${sync.small.ssh2.length} trials each, alternating order, fresh destination each time, both on an already open connection (raylaunch's runner; an OpenSSH ControlMaster as Ray uses): \`syncMount(runner, remote, local, filters)\` (rsync --list-only + one tar stream over ssh2) vs \`rsync -a -e ssh\`. Every copy verified in the host: file count, byte total and a sha256 over all paths and contents (small), sha256 of the 200 MB file. Times: small ${range(sync.small.ssh2, ms)} vs ${range(sync.small.rsync, ms)}; big ${range(sync.big.ssh2, ms)} vs ${range(sync.big.rsync, ms)}. The disk's floor, no network (inside the host: \`cat t.tar | tar -x\` of the same files; \`cat big > copy\`): small ${ms(median(sync.small.floor))} (${mbs(rate(sync.smallBytes, median(sync.small.floor)))}), big ${ms(median(sync.big.floor))} (${mbs(rate(BIG_BYTES, median(sync.big.floor)))}). MB = 10^6 bytes of file content.`,
    `\`down\` of each ${WORKERS + 1}-node cluster took ${ms(median(ups.map((u) => u.down)))} (median, ${range(ups.map((u) => u.down), ms)}); processes left in the hosts after it: ${ups.map((u) => u.leftovers).join(', ')}. Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, on the shared 2-vCPU machine.`,
  ].join('\n'));
}

process.once('SIGINT', () => process.exit(130)); // runs the test hosts' exit-time cleanup
process.once('SIGTERM', () => process.exit(143));
process.once('exit', () => rmSync(home, { recursive: true, force: true }));
main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
