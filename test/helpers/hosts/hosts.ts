// Real sshd "machines" for tests: each host is a network namespace on a private bridge, with its own hostname,
// /root and host key (own UTS and mount namespaces, a bind-mounted home, sshd started by absolute path).
import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installHostKey, launchSshd, makeHostKey, SSHD, stopChild, waitForSshd, writeSshdConfig } from './sshd.js';
import { isAlive, killAll, must, ownerAlive, ownerRecord, run, tool, withSetupLock, type RunResult } from './system.js';

export interface TestHost {
  n: number;
  /** rl-hN */
  ns: string;
  /** 10.200.0.N */
  ip: string;
  /** = ns */
  hostname: string;
  /** its state folder */
  dir: string;
  /** folder bind-mounted over /root inside the host */
  home: string;
}

/** What a host is given when it (re)boots, as a cloud image's first boot would apply it. */
export interface BootSpec {
  /** the host key sshd serves (an OpenSSH private key; default: a new one) */
  hostKey?: string;
  /** root's authorized_keys (default: the pool's client key) */
  authorizedKeys?: string;
  /** variables every SSH session gets (sshd's SetEnv), as an image would set them */
  env?: Record<string, string>;
}

export interface TestHostPool {
  hosts: TestHost[];
  /** client private key (ed25519, no passphrase) authorised as root on every host; 0600 */
  keyPath: string;
  user: 'root';
  /** cut / restore the host's link (ip link set rl-vN down/up): SSH to it then times out */
  cut(h: TestHost): Promise<void>;
  restore(h: TestHost): Promise<void>;
  /** give the host a fresh host key and restart its sshd on the same address (for "host key changed" tests) */
  rekey(h: TestHost): Promise<void>;
  /** ends everything running on the host, sshd included (by PID): the host stays, with nothing listening */
  halt(h: TestHost): Promise<void>;
  /**
   * halts the host, wipes its /root and /tmp (a fresh disk), then starts sshd with what `spec` hands it; resolves
   * once sshd shows its banner
   */
  boot(h: TestHost, spec?: BootSpec): Promise<void>;
  /** PIDs of every process running inside the host's network namespace (`ip netns pids`), sshd's own excluded */
  pids(h: TestHost): Promise<number[]>;
  /** run a command (`sh -c`, in /root) inside the host as root without ssh, in its mount, UTS and network namespaces */
  exec(h: TestHost, command: string, opts?: { timeoutMs?: number; input?: string }): Promise<RunResult>;
  /** tears every host of this pool down (processes by PID, then the namespace, then its folder); idempotent */
  remove(): Promise<void>;
}

/** Everything lives here, not under /tmp: /tmp is shared by all hosts, and sshd's StrictModes rejects keys there. */
export const BASE_DIR = '/var/tmp/raylaunch-test-hosts';
const HOSTS_DIR = join(BASE_DIR, 'hosts');
const KEY_PATH = join(BASE_DIR, 'keys', 'id_ed25519');
const BRIDGE = 'rl-br';
const SUBNET = '10.200.0';
/** This machine's address on the test bridge: what a test host reaches of this machine (a server a test starts for its hosts). */
export const BRIDGE_IP = `${SUBNET}.1`;
const FIRST = 2;
const LAST = 250;
const NAME = /^rl-h(\d+)$/;

const IP = tool('ip') ?? 'ip';
const SSH_KEYGEN = tool('ssh-keygen') ?? 'ssh-keygen';
const NSENTER = tool('nsenter') ?? 'nsenter';

/** true when this machine can make test hosts: running as root on Linux, with /usr/sbin/sshd, `ip`, ssh-keygen, unshare and nsenter. */
export function canMakeHosts(): boolean {
  return (
    process.platform === 'linux' &&
    process.getuid?.() === 0 &&
    existsSync(SSHD) &&
    ['ip', 'ssh-keygen', 'unshare', 'nsenter'].every((name) => tool(name) !== undefined)
  );
}

// Fixed MACs: the kernel caches IP → MAC, and a host number is reused soon after a host goes away. With a fresh
// random MAC the old entry would blackhole the new host for up to half a minute. The bridge gets one too, because
// otherwise it takes the lowest MAC of its ports and changes it under the hosts' feet when a port comes or goes.
const mac = (n: number): string => `02:72:6c:00:00:${n.toString(16).padStart(2, '0')}`;

const hostOf = (n: number): TestHost => {
  const ns = `rl-h${n}`;
  const dir = join(HOSTS_DIR, ns);
  return { n, ns, ip: `${SUBNET}.${n}`, hostname: ns, dir, home: join(dir, 'home') };
};

const numberOf = (name: string): number | undefined => {
  const m = NAME.exec(name);
  return m ? Number(m[1]) : undefined;
};

function listNumbers(folder: string): number[] {
  try {
    return readdirSync(folder).flatMap((name) => numberOf(name) ?? []);
  } catch {
    return [];
  }
}

/** Host numbers with a namespace or a folder, whoever owns them. */
const usedNumbers = (): Set<number> => new Set([...listNumbers('/run/netns'), ...listNumbers(HOSTS_DIR)]);

const readOwner = (n: number): string | undefined => {
  try {
    return readFileSync(join(hostOf(n).dir, 'owner'), 'utf8');
  } catch {
    return undefined;
  }
};

const parsePids = (text: string): number[] => text.split(/\s+/).filter(Boolean).map(Number);

async function nsPids(ns: string): Promise<number[]> {
  const r = await run(IP, ['netns', 'pids', ns]);
  return r.code === 0 ? parsePids(r.stdout) : [];
}

/** Every process inside the namespace, by PID (never by name). */
async function killInside(ns: string, graceMs: number): Promise<void> {
  // A second round catches what a dying process started on its way out; bounded, as a fork bomb must not hang us.
  for (let round = 0; round < 3; round++) {
    const pids = await nsPids(ns);
    if (pids.length === 0) break;
    await killAll(pids, round === 0 ? graceMs : 0);
  }
}

/** Processes by PID (never by name), then the link and the namespace, then the folder. Safe to repeat. */
async function teardown(n: number, graceMs: number): Promise<void> {
  const h = hostOf(n);
  await killInside(h.ns, graceMs);
  // Deleting the veth first removes both ends at once; `netns del` alone leaves the kernel to free them later,
  // and a host made with the same number right after would find rl-vN still there.
  await run(IP, ['link', 'del', `rl-v${n}`]);
  await run(IP, ['netns', 'del', h.ns]);
  await rm(h.dir, { recursive: true, force: true, maxRetries: 3 });
}

/** Tears down every host whose owner process is gone (or that has no owner record). Caller holds the setup lock. */
async function reapLeftovers(): Promise<string[]> {
  const dead = [...usedNumbers()].filter((n) => !ownerAlive(readOwner(n)));
  await Promise.all(dead.map((n) => teardown(n, 0)));
  return dead.map((n) => hostOf(n).ns);
}

/** Caller holds the setup lock, so nobody is between claiming a number and attaching to the bridge. */
async function removeBridgeIfUnused(): Promise<void> {
  if (usedNumbers().size === 0) await run(IP, ['link', 'del', BRIDGE]);
}

async function ensureBridge(): Promise<void> {
  if ((await run(IP, ['link', 'show', BRIDGE])).code === 0) return;
  await must(IP, ['-batch', '-'], {
    input: [`link add ${BRIDGE} address ${mac(1)} type bridge`, `addr add ${SUBNET}.1/24 dev ${BRIDGE}`, `link set ${BRIDGE} up`, ''].join('\n'),
  });
}

async function ensureClientKey(): Promise<void> {
  if (existsSync(KEY_PATH) && existsSync(`${KEY_PATH}.pub`)) return;
  await mkdir(join(BASE_DIR, 'keys'), { recursive: true, mode: 0o700 });
  const tmp = `${KEY_PATH}.tmp-${process.pid}`;
  await rm(tmp, { force: true });
  await rm(`${tmp}.pub`, { force: true });
  await must(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-C', 'raylaunch-test-hosts', '-f', tmp]);
  await chmod(tmp, 0o600);
  // Public half first: a private key without its .pub is what the check above treats as unfinished.
  await rename(`${tmp}.pub`, `${KEY_PATH}.pub`);
  await rename(tmp, KEY_PATH);
}

/** Cleans up after crashed runs: hosts whose owner process is gone, and the bridge once no host is left. */
export async function cleanLeftovers(): Promise<string[]> {
  if (!canMakeHosts()) return [];
  return withSetupLock(async () => {
    const reaped = await reapLeftovers();
    await removeBridgeIfUnused();
    return reaped;
  });
}

async function claim(count: number): Promise<TestHost[]> {
  return withSetupLock(async () => {
    await reapLeftovers();
    await mkdir(HOSTS_DIR, { recursive: true });
    await ensureClientKey();
    const used = usedNumbers();
    const free: number[] = [];
    for (let n = FIRST; n <= LAST && free.length < count; n++) if (!used.has(n)) free.push(n);
    if (free.length < count) throw new Error(`test hosts: ${count} wanted, only ${free.length} of ${FIRST}..${LAST} free`);
    const hosts = free.map(hostOf);
    const record = ownerRecord();
    for (const h of hosts) {
      await mkdir(h.dir);
      await writeFile(join(h.dir, 'owner'), record);
    }
    // After the folders exist: a concurrent exit-time cleanup that saw no host may have just deleted the bridge.
    await ensureBridge();
    return hosts;
  });
}

/** The host's disk: an empty /root holding only authorized_keys, an empty /tmp and screen folder. */
async function makeDisk(h: TestHost, authorizedKeys: string): Promise<void> {
  const ssh = join(h.home, '.ssh');
  await mkdir(ssh, { recursive: true, mode: 0o700 });
  // StrictModes: sshd ignores authorized_keys when the home or .ssh is writable by others.
  await chmod(h.home, 0o700);
  await writeFile(join(ssh, 'authorized_keys'), authorizedKeys, { mode: 0o600 });
  // Own /tmp and screen folder, as on a real machine: otherwise tmux and screen on every host (and on this
  // machine) would share one server through the same socket, running its shells in whichever namespace started it.
  for (const d of ['tmp', 'screen']) {
    await mkdir(join(h.dir, d), { recursive: true });
    await chmod(join(h.dir, d), 0o1777);
  }
}

async function prepare(h: TestHost, publicKey: string): Promise<void> {
  await makeDisk(h, publicKey);
  await writeSshdConfig(h);
  await makeHostKey(h);
  await must(IP, ['-batch', '-'], {
    input: [`netns add ${h.ns}`, `link add rl-v${h.n} type veth peer name eth0 address ${mac(h.n)} netns ${h.ns}`, `link set rl-v${h.n} master ${BRIDGE} up`, ''].join('\n'),
  });
  // No default route and no NAT: nothing sent from a host can leave the test subnet.
  await must(IP, ['-n', h.ns, '-batch', '-'], { input: [`addr add ${h.ip}/24 dev eth0`, 'link set eth0 up', 'link set lo up', ''].join('\n') });
}

// Pools still up in this process, for the exit-time fallback.
const live = new Set<Pool>();
let exitHookSet = false;

function removeAllSync(): void {
  for (const pool of live) pool.removeSync();
  // No lock here (it needs the event loop); claim() re-creates the bridge if it raced with us.
  if (usedNumbers().size === 0) quietSync(IP, ['link', 'del', BRIDGE]);
}

function quietSync(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
  } catch {
    return '';
  }
}

class Pool implements TestHostPool {
  readonly user = 'root' as const;
  private removing: Promise<void> | undefined;

  constructor(
    readonly hosts: TestHost[],
    readonly keyPath: string,
    private readonly sshd: Map<number, ChildProcess>,
  ) {}

  private member(h: TestHost): TestHost {
    if (!this.hosts.some((x) => x.n === h.n) || this.removing) throw new Error(`test host ${h.ns} is not (or no longer) in this pool`);
    return h;
  }

  private sshdOf(h: TestHost): ChildProcess {
    const child = this.sshd.get(this.member(h).n);
    if (!child) throw new Error(`test host ${h.ns} is halted: boot() it first`);
    return child;
  }

  async halt(h: TestHost): Promise<void> {
    this.member(h);
    this.sshd.delete(h.n);
    await killInside(h.ns, 1000);
  }

  async boot(h: TestHost, spec: BootSpec = {}): Promise<void> {
    await this.halt(h);
    for (const d of [h.home, join(h.dir, 'tmp'), join(h.dir, 'screen')]) await rm(d, { recursive: true, force: true, maxRetries: 3 });
    await makeDisk(h, spec.authorizedKeys ?? (await readFile(`${this.keyPath}.pub`, 'utf8')));
    if (spec.hostKey === undefined) await makeHostKey(h);
    else await installHostKey(h, spec.hostKey);
    await writeSshdConfig(h, spec.env);
    const child = launchSshd(h);
    this.sshd.set(h.n, child);
    await waitForSshd(h, child);
  }

  async cut(h: TestHost): Promise<void> {
    this.member(h);
    await must(IP, ['link', 'set', `rl-v${h.n}`, 'down']);
  }

  async restore(h: TestHost): Promise<void> {
    this.member(h);
    await must(IP, ['link', 'set', `rl-v${h.n}`, 'up']);
  }

  async rekey(h: TestHost): Promise<void> {
    await stopChild(this.sshdOf(h));
    await makeHostKey(h);
    const child = launchSshd(h);
    this.sshd.set(h.n, child);
    await waitForSshd(h, child);
  }

  async pids(h: TestHost): Promise<number[]> {
    const own = this.sshdOf(h).pid;
    return (await nsPids(h.ns)).filter((pid) => pid !== own && isAlive(pid));
  }

  exec(h: TestHost, command: string, opts: { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
    const pid = this.sshdOf(h).pid;
    // The outer sh changes to the host's /root after entering its mount namespace (nsenter's --wd resolves before).
    const args = ['--target', String(pid), '--mount', '--uts', '--net', 'sh', '-c', 'cd /root && exec sh -c "$0"', command];
    return run(NSENTER, args, { timeoutMs: opts.timeoutMs ?? 120_000, ...(opts.input === undefined ? {} : { input: opts.input }) });
  }

  remove(): Promise<void> {
    this.removing ??= (async () => {
      await Promise.all(this.hosts.map((h) => teardown(h.n, 1000)));
      live.delete(this);
      await withSetupLock(removeBridgeIfUnused);
    })();
    return this.removing;
  }

  /** For process exit, when nothing async can run: SIGKILL by PID, no waiting. */
  removeSync(): void {
    for (const h of this.hosts) {
      for (const pid of parsePids(quietSync(IP, ['netns', 'pids', h.ns]))) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      quietSync(IP, ['link', 'del', `rl-v${h.n}`]);
      quietSync(IP, ['netns', 'del', h.ns]);
      rmSync(h.dir, { recursive: true, force: true });
    }
    live.delete(this);
  }
}

/**
 * makes `count` hosts in parallel; each has its own netns, hostname (UTS ns), /root, /tmp and /run/screen (mount ns
 * binds), host key, sshd on :22. `halted`: the hosts start with nothing running, for boot() to start (a cloud's
 * machines that an instance launch boots).
 */
export async function createHosts(count: number, opts: { halted?: boolean } = {}): Promise<TestHostPool> {
  if (!canMakeHosts()) throw new Error('test hosts need root on Linux with openssh-server (/usr/sbin/sshd), iproute2 and util-linux');
  if (!Number.isInteger(count) || count < 1 || count > LAST - FIRST + 1) throw new Error(`test hosts: bad count ${count}`);
  if (!exitHookSet) {
    process.once('exit', removeAllSync);
    exitHookSet = true;
  }
  // sshd's privilege-separation folder; shared with every other sshd on the machine, so it is never removed.
  await mkdir('/run/sshd', { recursive: true });
  const hosts = await claim(count);
  const sshd = new Map<number, ChildProcess>();
  const pool = new Pool(hosts, KEY_PATH, sshd);
  live.add(pool);
  const publicKey = await readFile(`${KEY_PATH}.pub`, 'utf8');
  const started = await Promise.allSettled(
    hosts.map(async (h) => {
      await prepare(h, publicKey);
      if (opts.halted === true) return;
      const child = launchSshd(h);
      sshd.set(h.n, child);
      await waitForSshd(h, child);
    }),
  );
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await pool.remove();
    throw failed.reason;
  }
  return pool;
}
