/** A loopback port on this machine whose connections are carried to a node-side address through the SSH connection. */
import { createServer, type Server, type Socket } from 'node:net';
import type { ClientChannel } from 'ssh2';
import type { Forward } from '../runner.js';

function listenLoopback(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      const a = server.address();
      if (a === null || typeof a === 'string') reject(new Error('forward: no TCP port was assigned'));
      else resolve(a.port);
    });
  });
}

/**
 * Listens on 127.0.0.1 (never a public address: what it reaches is the node's private control plane) and opens one
 * forwarding channel per accepted connection. A channel that cannot open ends that local connection only.
 */
export async function listenForward(openChannel: () => Promise<ClientChannel>, onClose: () => void): Promise<Forward> {
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.setNoDelay(true);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    openChannel().then(
      (ch) => {
        if (sock.destroyed) return ch.close();
        ch.on('error', () => sock.destroy());
        // Ended, not destroyed: a destroy here could drop the last bytes the channel delivered just before closing.
        ch.on('close', () => sock.end());
        sock.on('close', () => ch.close());
        sock.pipe(ch).pipe(sock);
      },
      () => sock.destroy(),
    );
  });
  const localPort = await listenLoopback(server);
  return {
    localPort,
    close: async () => {
      onClose();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
