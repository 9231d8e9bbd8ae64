import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../protocol/messages.js';

/**
 * Per-role credentials for the control plane: the credential a connection presents decides who it is, never its
 * hello. Each is 32 random bytes (base64url) behind a prefix naming its kind, so a refusal can say which
 * credential went where. The head keeps only SHA-256 digests: a digest admits nobody, so a file of them is no
 * secret.
 */
export type CredentialKind = 'operator' | 'node' | 'job' | 'object';

const PREFIX: Readonly<Record<CredentialKind, string>> = { operator: 'rlo_', node: 'rln_', job: 'rlj_', object: 'rlx_' };

/** Who a credential makes a connection: the operator (the CLI, or a driver run by the operator), one node's agent, one job's driver. */
export type Identity =
  | { kind: 'operator' }
  | { kind: 'node'; nodeId: string }
  | { kind: 'job'; jobId: string };

/** A fresh credential of this kind. */
export function mintCredential(kind: CredentialKind): string {
  return `${PREFIX[kind]}${randomBytes(32).toString('base64url')}`;
}

/** The hex SHA-256 of a credential: what the head stores and compares. */
export function credentialDigest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The kind a credential's prefix claims (for messages only: the table decides what it is). */
export function claimedKind(secret: string): CredentialKind | undefined {
  return (Object.keys(PREFIX) as CredentialKind[]).find((k) => secret.startsWith(PREFIX[k]));
}

/** The bearer credential of an Authorization header, or undefined. */
export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer (\S+)$/.exec(header ?? '');
  return m?.[1];
}

/** The roles a connection holding this identity may take with its hello. */
export function rolesOf(id: Identity): readonly Role[] {
  return id.kind === 'operator' ? ['cli', 'driver'] : id.kind === 'node' ? ['agent'] : ['driver'];
}

const WHOSE: Readonly<Record<Identity['kind'], string>> = { operator: 'the operator\'s credential', node: 'a node credential', job: 'a job credential' };

/** Why a connection holding `id` may not say this hello, or undefined when it may. Pure. */
export function helloRefusal(id: Identity, hello: { role: Role; nodeId?: string | undefined; jobId?: string | undefined }): string | undefined {
  if (!rolesOf(id).includes(hello.role)) return `${WHOSE[id.kind]} may not connect as ${hello.role} (only as ${rolesOf(id).join(' or ')})`;
  if (id.kind === 'node' && hello.nodeId !== id.nodeId) return `the node credential of ${id.nodeId} may not connect as node ${hello.nodeId ?? '(none)'}`;
  if (id.kind === 'job' && hello.jobId !== id.jobId) return `the job credential of ${id.jobId} may not connect as the driver of ${hello.jobId ?? 'a new job'}`;
  return undefined;
}

/**
 * The head's table of credential digests → identities. Lookups hash the presented secret first, so what a
 * lookup's time depends on is a digest, which tells an attacker nothing about any secret.
 */
export class CredentialTable {
  private readonly byDigest = new Map<string, Identity>();

  /** Admits holders of the credential with this digest as `id` (replacing whatever the digest admitted). */
  addDigest(digest: string, id: Identity): void {
    this.byDigest.set(digest, id);
  }

  /** Mints a credential for `id`, admits it, and returns the secret (for its holder only). */
  mint(kind: 'node' | 'job', id: Identity): string {
    const secret = mintCredential(kind);
    this.addDigest(credentialDigest(secret), id);
    return secret;
  }

  /** No longer admits anyone holding a credential for this node or job. */
  revoke(match: (id: Identity) => boolean): void {
    for (const [d, id] of this.byDigest) if (match(id)) this.byDigest.delete(d);
  }

  /** Who presents this Authorization header, or undefined when no credential of this cluster is in it. */
  lookup(header: string | undefined): Identity | undefined {
    const secret = bearer(header);
    return secret === undefined ? undefined : this.byDigest.get(credentialDigest(secret));
  }

  /** The node digests, for the file that keeps them across a head restart. */
  nodeDigests(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [d, id] of this.byDigest) if (id.kind === 'node') out[id.nodeId] = d;
    return out;
  }
}
