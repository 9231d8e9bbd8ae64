/**
 * A real redis-server for a test, on loopback and a free port, without persistence, in a temporary folder;
 * stopped by its pid. Debian's redis-server package (scripts/test-prereqs.mjs installs it where missing).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { until } from './until.js';

export interface RedisServer {
  port: number;
  url(o?: { user?: string; password?: string; db?: number }): string;
  stop(): Promise<void>;
}

/** Whether the server answers PING with PONG (or, with a password set, refuses it for lack of one). */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
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

export async function startRedis(o: { requirepass?: string } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'raylaunch-redis-'));
  const port = await freePort();
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--logfile', join(dir, 'redis.log')];
  if (o.requirepass !== undefined) args.push('--requirepass', o.requirepass);
  const child: ChildProcess = spawn('redis-server', args, { stdio: 'ignore' });
  const exited = once(child, 'exit');
  await until(`redis-server on port ${port}`, 10_000, async () => {
    if (child.exitCode !== null) throw new Error(`redis-server exited ${child.exitCode}`);
    return (await answers(port)) ? true : undefined;
  });
  return {
    port,
    url: (u = {}) => `redis://${u.user ?? ''}${u.password !== undefined ? `:${encodeURIComponent(u.password)}` : ''}${u.user !== undefined || u.password !== undefined ? '@' : ''}127.0.0.1:${port}/${u.db ?? 0}`,
    stop: async () => {
      if (child.exitCode === null && child.pid !== undefined) {
        process.kill(child.pid, 'SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
