/**
 * A real redis-server for a test, on one address (loopback unless told: the test bridge's for a head on a test
 * host) and a free port, without persistence, in a temporary folder; stopped by its pid. It listens on that address
 * alone. Debian's redis-server package (scripts/test-prereqs.mjs installs it where missing).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { until } from './until.js';

export interface RedisServer {
  /** The one address it listens on. */
  host: string;
  port: number;
  url(o?: { user?: string; password?: string; db?: number }): string;
  /** The keys matching `pattern` in db 0 (redis-cli, of Debian's redis-tools, which redis-server depends on). */
  keys(pattern: string): string[];
  stop(): Promise<void>;
}

/** Whether a redis server at host:port answers PING with PONG (or, with a password set, refuses it for lack of one). */
export function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
      if (got.includes('\r\n')) {
        s.destroy();
        resolve(got.startsWith('+PONG') || got.startsWith('-NOAUTH'));
      }
    });
    s.on('error', () => resolve(false));
    s.on('connect', () => s.write('PING\r\n'));
  });
}

export async function startRedis(o: { requirepass?: string; host?: string } = {}): Promise<RedisServer> {
  const host = o.host ?? '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), 'raylaunch-redis-'));
  const port = await freePort();
  const args = ['--bind', host, '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--logfile', join(dir, 'redis.log')];
  if (o.requirepass !== undefined) args.push('--requirepass', o.requirepass);
  const child: ChildProcess = spawn('redis-server', args, { stdio: 'ignore' });
  const exited = once(child, 'exit');
  await until(`redis-server on port ${port}`, 10_000, async () => {
    if (child.exitCode !== null) throw new Error(`redis-server exited ${child.exitCode}`);
    return (await answers(host, port)) ? true : undefined;
  });
  return {
    host,
    port,
    keys: (pattern) => {
      const r = spawnSync('redis-cli', ['-h', host, '-p', String(port), '--raw', 'KEYS', pattern], {
        encoding: 'utf8', timeout: 10_000, env: { ...process.env, ...(o.requirepass !== undefined ? { REDISCLI_AUTH: o.requirepass } : {}) },
      });
      if (r.status !== 0) throw new Error(`redis-cli KEYS failed: ${r.stderr || r.error?.message || ''}`);
      return r.stdout.split('\n').filter((k) => k !== '').sort();
    },
    url: (u = {}) => `redis://${u.user ?? ''}${u.password !== undefined ? `:${encodeURIComponent(u.password)}` : ''}${u.user !== undefined || u.password !== undefined ? '@' : ''}${host}:${port}/${u.db ?? 0}`,
    stop: async () => {
      if (child.exitCode === null && child.pid !== undefined) {
        process.kill(child.pid, 'SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
