import type { Message, MessageOf, Role } from '../protocol/messages.js';
import { MAY_SEND } from '../protocol/roles.js';
import type { Verdict } from './authorize.js';
import type { Peer, PeerHandlers } from './control-plane.js';
import { helloRefusal, type Identity } from '../common/credentials.js';

export { JOB_API, MAY_SEND } from '../protocol/roles.js';

/** A type some role may send: the ones with a handler. */
export type InboundType = (typeof MAY_SEND)[Role][number];

/**
 * The roles whose messages a connection of this role carries besides its own. An agent relays its worker
 * processes' messages on its one connection, only those of the worker row and with their ids stamped by it.
 */
export const CARRIES: Readonly<Record<Role, readonly Role[]>> = { agent: ['agent', 'worker'], worker: ['worker'], driver: ['driver'], cli: ['cli'] };

/** The roles a connection may take with its first hello: a worker process speaks only through its node's agent. */
export const CONNECTION_ROLES: readonly Role[] = ['agent', 'driver', 'cli'];

/** One handler per inbound type; each gets the connection it came on. */
export type HandlerTable = { readonly [T in InboundType]: (peer: Peer, m: MessageOf<T>) => void };

const allowed = new Map<Role, ReadonlySet<string>>(
  (Object.keys(CARRIES) as Role[]).map((role) => [role, new Set(CARRIES[role].flatMap((r) => [...MAY_SEND[r]]))]),
);

const WHO: Readonly<Record<Role, string>> = { agent: 'an agent', worker: 'a worker process', driver: 'a driver', cli: 'the CLI' };

/** Why a message may not come on this connection (its role so far, and who its credential says it is), or undefined when it may. Pure. */
export function refusal(role: Role | undefined, m: Message, identity: Identity): string | undefined {
  if (role === undefined) {
    if (m.type !== 'hello') return 'the first message must be hello';
    if (!CONNECTION_ROLES.includes(m.role)) return `a connection may not take the role ${m.role}`;
    return helloRefusal(identity, m);
  }
  if (!allowed.get(role)?.has(m.type)) return `${WHO[role]} may not send ${m.type}`;
  // A hello after the first announces a process behind the agent; a connection's own role is set once.
  if (m.type === 'hello' && m.role !== 'worker') return `a connection's role is set once (${role}), not again as ${m.role}`;
  return undefined;
}

export interface RouterOptions {
  handlers: HandlerTable;
  /** On whose behalf a message may act (authorize.ts): after the role check, before its handler. */
  authorize?(peer: Peer, m: Message): Verdict;
  /** After each frame: one placement pass for everything the frame changed. */
  frameDone(): void;
  /** A connection closed; `refused`: why the head closed it for what it sent (refuse()), if it did. */
  closed(peer: Peer, refused?: string): void;
  /** One line to the head's log. */
  log(line: string): void;
}

/**
 * The head's router: takes from each connection only its role's message types, each to its handler. A message
 * of the wrong role, or a handler that fails on it, closes that connection with a logged reason, never the head.
 * (Messages reach it checked against their types' shapes: the control plane decodes with src/protocol/check.ts.)
 */
export class Router implements PeerHandlers {
  /** Connections closed for what they sent, and why. */
  private readonly refused = new WeakMap<Peer, string>();

  constructor(private readonly o: RouterOptions) {}

  onMessages(peer: Peer, msgs: readonly Message[]): void {
    for (const m of msgs) {
      if (this.refused.has(peer)) return;
      const why = refusal(peer.role, m, peer.identity);
      if (why !== undefined) return this.refuse(peer, why);
      const verdict = this.o.authorize?.(peer, m);
      if (verdict && 'close' in verdict) return this.refuse(peer, verdict.close);
      if (verdict) {
        this.o.log(`dropping ${m.type} from connection ${peer.id} (${peer.role ?? 'no role yet'}${peer.clientId ? ` ${peer.clientId}` : ''}): ${verdict.deny}`);
        continue;
      }
      const handler = this.o.handlers[m.type as InboundType] as (peer: Peer, m: Message) => void;
      try {
        handler(peer, m);
      } catch (e) {
        return this.refuse(peer, `${m.type} failed: ${(e as Error).message}`);
      }
    }
    try {
      this.o.frameDone();
    } catch (e) {
      // What the frame changed is the likeliest cause: its sender goes, the head stays.
      this.refuse(peer, `placing the work of its frame failed: ${(e as Error).message}`);
    }
  }

  onClose(peer: Peer): void {
    try {
      this.o.closed(peer, this.refused.get(peer));
    } catch (e) {
      this.o.log(`cleaning up after connection ${peer.id} failed: ${(e as Error).stack ?? String(e)}`);
    }
  }

  /** A connection found gone (its network, not what it sent): logged; its close then goes as any other. */
  lost(peer: Peer, why: string): void {
    this.o.log(`connection ${peer.id} (${peer.role ?? 'no role yet'}${peer.clientId ? ` ${peer.clientId}` : ''}) is gone: ${why}`);
  }

  /** Closes the connection with a logged reason; nothing more of it is handled. */
  refuse(peer: Peer, why: string): void {
    if (this.refused.has(peer)) return;
    this.refused.set(peer, why);
    this.o.log(`closing connection ${peer.id} (${peer.role ?? 'no role yet'}${peer.clientId ? ` ${peer.clientId}` : ''}): ${why}`);
    peer.close(why);
  }
}
