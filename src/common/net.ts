/**
 * Where raylaunch's services may listen: loopback or a private network, never a public address. A node's
 * control plane and object server hold the cluster's data; the token guards them, the address keeps them
 * off the internet even if a token leaks.
 */
import { isIP } from 'node:net';

export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) {
    const [a = -1, b = -1] = ip.split('.').map(Number);
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254);
  }
  if (isIP(ip) === 6) {
    const x = ip.toLowerCase();
    return x === '::1' || /^f[cd][0-9a-f]{2}:/.test(x) || /^fe[89ab][0-9a-f]:/.test(x);
  }
  return false;
}

/** One label of a host name (RFC 1123): letters, digits and inner hyphens, 1 to 63 of them. */
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOST_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

/**
 * Whether a node address is a literal IP or a valid host name: nothing else reaches an ssh or rsync command line
 * or a known_hosts line, where `-oProxyCommand=…` would be an option and `*` a pattern that matches every host.
 * The schemas' host fields (schemas/cluster.schema.json, schemas/providers/local.schema.json) say the same.
 */
export function isNodeAddress(s: string): boolean {
  return isIP(s) !== 0 || (s.length <= 253 && HOST_NAME.test(s));
}

/** The address this node's services listen on: RAYLAUNCH_NODE_IP (set by the updater), else loopback. */
export function nodeListenAddress(env: NodeJS.ProcessEnv = process.env): string {
  const ip = env.RAYLAUNCH_NODE_IP || '127.0.0.1';
  if (!isPrivateAddress(ip)) {
    throw new Error(`refusing to listen on ${ip}: raylaunch's services listen only on loopback or private addresses (127/8, 10/8, 172.16/12, 192.168/16, 100.64/10, 169.254/16, ::1, fc00::/7, fe80::/10)`);
  }
  return ip;
}
