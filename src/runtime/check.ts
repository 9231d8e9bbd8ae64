/**
 * `node check.js`: run on a node once its runtime folder is in place. Exits 0 when this machine can run the
 * runtime: a recent enough Node, and the bundled ssh2 working on its pure-JavaScript crypto (its native addons
 * are left out of the bundle), proven by a key exchange with itself over loopback.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { readRuntimeManifest } from './layout.js';

const MIN_NODE_MAJOR = 20;
const TIMEOUT_MS = 10_000;

function fail(problem: string): never {
  process.stderr.write(`raylaunch runtime check failed: ${problem}\n`);
  process.exit(1);
}

const major = Number(process.versions.node.split('.')[0]);
if (major < MIN_NODE_MAJOR) fail(`Node ${process.version} is too old; raylaunch needs Node ${MIN_NODE_MAJOR} or newer`);

const timer = setTimeout(() => fail(`the ssh2 self-test did not finish within ${TIMEOUT_MS / 1000} s`), TIMEOUT_MS);
// Loaded dynamically, as provider code loads it. Node's namespace of this CommonJS package has `default` and the
// few names its lexer finds (Client among them, Server not); the bundle must give the same, and does.
const ssh2 = await import('ssh2');
const { Client } = ssh2;
const { Server, utils } = ssh2.default;
// ssh2 now and then makes an ed25519 key it cannot read back (src/common/ed25519.ts): such a key would fail this
// check for no fault of the machine's, so the first readable one of a few is taken.
let hostKey: string | undefined;
for (let i = 0; i < 20 && hostKey === undefined; i++) {
  const k = utils.generateKeyPairSync('ed25519').private;
  if (!(utils.parseKey(k) instanceof Error)) hostKey = k;
}
if (hostKey === undefined) fail('ssh2 generated 20 unreadable ed25519 keys in a row');
const server = new Server({ hostKeys: [hostKey] }, (conn) => {
  conn.on('authentication', (ctx) => ctx.accept());
  conn.on('error', () => undefined); // the client hangs up first
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const client = new Client();
try {
  await new Promise<void>((resolve, reject) => {
    client.on('ready', resolve).on('error', reject);
    client.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, username: 'raylaunch-check' });
  });
} catch (e) {
  fail(`ssh2 cannot complete a handshake: ${(e as Error).message}`);
} finally {
  client.end();
  server.close();
  clearTimeout(timer);
}
const m = readRuntimeManifest();
process.stdout.write(`raylaunch runtime ${m.version}-${m.hash} ok on Node ${process.version}\n`);
