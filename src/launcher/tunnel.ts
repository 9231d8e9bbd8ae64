import { SshPool } from '../updater/ssh/pool.js';
import type { SshTarget } from '../updater/runner.js';

/** A loopback port on this machine that reaches the head's control plane through SSH to the head. */
export interface Tunnel {
  localPort: number;
  close(): Promise<void>;
}

export async function openTunnel(target: SshTarget, address: string): Promise<Tunnel> {
  const i = address.lastIndexOf(':');
  // A command waiting on a dead head should say so in seconds, not after the setup-time connect budget.
  const pool = new SshPool({ connectTimeoutMs: 10_000 });
  try {
    const fwd = await pool.runner(target).forward(address.slice(0, i), Number(address.slice(i + 1)));
    return {
      localPort: fwd.localPort,
      close: async () => {
        await fwd.close();
        await pool.close();
      },
    };
  } catch (e) {
    await pool.close();
    throw e;
  }
}
