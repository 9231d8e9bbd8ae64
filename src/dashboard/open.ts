/**
 * `raylaunch dashboard` on the operator's machine: a loopback port that reaches the head (through the SSH tunnel
 * for clusters on other machines, straight to the head's loopback address for `process` ones), and a login link
 * carrying a one-time code the head minted for that very address. Every cluster gets the same shape (a port of
 * our own in front), so `--port` means the same everywhere and the head's Host check sees one address.
 */
import { request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { clusterDir } from '../common/paths.js';
import { RaylaunchError } from '../common/errors.js';
import { readHeadInfo, readOperatorCredential } from '../launcher/cluster-state.js';
import { HeadConnectionError } from '../launcher/errors.js';
import { notRunning } from '../launcher/known-clusters.js';
import { readSshHead } from '../launcher/ssh-head.js';
import { openTunnel, type Tunnel } from '../launcher/tunnel.js';

/** The local port asked for is taken by another program. Exit 1. */
export class DashboardPortTakenError extends RaylaunchError {
  override readonly name = 'DashboardPortTakenError';
  readonly code = 'dashboard_port_taken';
  readonly exitCode = 1;
}

export interface OpenDashboard {
  /** The login link: works once, within a minute, on this machine. */
  url: string;
  localPort: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`port` (0: any) and carries each connection to `upstream` (host:port). */
async function localForward(port: number, upstream: string): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const i = upstream.lastIndexOf(':');
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    const up = connect(Number(upstream.slice(i + 1)), upstream.slice(0, i).replace(/^\[|\]$/g, ''));
    for (const s of [sock, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => { sock.destroy(); up.destroy(); });
    }
    sock.pipe(up).pipe(sock);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE'
      ? new DashboardPortTakenError(`port ${port} on 127.0.0.1 is taken by another program`, { hint: 'choose another with --port, or leave it out for any free one' })
      : e));
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const a = server.address();
  return {
    server, port: typeof a === 'object' && a ? a.port : port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Asks the head, with the operator's credential, for a login code valid on `host`. */
function mintCode(port: number, token: string, host: string): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({ host });
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, method: 'POST', path: '/api/dashboard/login-code',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), host },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function openDashboard(clusterName: string, o: { port?: number } = {}): Promise<OpenDashboard> {
  const dir = clusterDir(clusterName);
  const head = readHeadInfo(dir);
  const token = readOperatorCredential(clusterName);
  if (!head || !token) throw notRunning(clusterName);
  const ssh = readSshHead(dir);
  let tunnel: Tunnel | undefined;
  let fwd: Awaited<ReturnType<typeof localForward>> | undefined;
  try {
    // Clusters on other machines: the control plane is reached through SSH to the head, never opened to the outside.
    if (ssh) tunnel = await openTunnel(ssh, head.address);
    fwd = await localForward(o.port ?? 0, tunnel ? `127.0.0.1:${tunnel.localPort}` : head.address);
    const host = `127.0.0.1:${fwd.port}`;
    const r = await mintCode(fwd.port, token, host).catch((e: Error) => {
      throw new HeadConnectionError(`cannot reach the head of cluster ${clusterName} at ${head.address}: ${e.message}`, { hint: `see whether it runs with raylaunch status -c ${clusterName}` });
    });
    if (r.status === 404) throw new HeadConnectionError(`the head of cluster ${clusterName} serves no dashboard (it runs an older raylaunch)`, { hint: `update it with raylaunch up -c ${clusterName}` });
    if (r.status !== 200) throw new HeadConnectionError(`the head of cluster ${clusterName} refused a dashboard login: ${r.status} ${r.body}`);
    const { code } = JSON.parse(r.body) as { code: string };
    const closeFwd = fwd;
    const closeTunnel = tunnel;
    return {
      url: `http://${host}/dashboard/login?code=${encodeURIComponent(code)}`, localPort: fwd.port,
      close: async () => {
        await closeFwd.close();
        await closeTunnel?.close();
      },
    };
  } catch (e) {
    await fwd?.close();
    await tunnel?.close();
    throw e;
  }
}
