import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { credentialDigest, CredentialTable, mintCredential } from '../common/credentials.js';
import { nodeDigestsFile, operatorDigestFile } from '../common/node-args.js';
import { type GcsStore, type Table, writeBehind } from './gcs/store.js';

/**
 * A running job's credential, as the GCS keeps it: its digest only (a digest admits nobody). Written before the
 * job's submitter hears its id (the driver may be running and connecting by then, and must still be admitted by a
 * head restarted after that), removed behind once the job ended: a head that loads a stale one admits a driver
 * of an ended job, which attachDriver then refuses.
 */
export interface JobCredentialRecord { digest: string }

/** The digest of the operator's credential, as `up` wrote it in the head's state dir (undefined: none, or not a digest). */
export function operatorDigest(stateDir: string): string | undefined {
  const operator = readOrUndefined(operatorDigestFile(stateDir))?.trim();
  return operator && /^[0-9a-f]{64}$/.test(operator) ? operator : undefined;
}

/**
 * The head's credential table and the files that let it outlive a restart: the operator's digest (written by
 * `up`) and the digests of the node credentials this head minted. Only digests are ever on disk here; the
 * secrets are handed to their holders and forgotten. Job credentials' digests are in the GCS store
 * (`job_credentials`), so that a driver whose head restarted proves itself to the next one.
 */
export class HeadCredentials {
  readonly table = new CredentialTable();
  private readonly jobs: Table<JobCredentialRecord> | undefined;

  /** Without a store (tests of node credentials), job credentials live in memory only. */
  constructor(private readonly stateDir: string, store?: GcsStore) {
    this.jobs = store?.table<JobCredentialRecord>('job_credentials');
    for (const jobId of this.jobs?.keys() ?? []) {
      const digest = this.jobs?.get(jobId)?.digest;
      if (digest) this.table.addDigest(digest, { kind: 'job', jobId });
    }
    const operator = operatorDigest(stateDir);
    // Without it nobody may act as the operator: the CLI's connections are refused, which `up` says how to fix.
    if (operator) this.table.addDigest(operator, { kind: 'operator' });
    const nodes = readOrUndefined(nodeDigestsFile(stateDir));
    if (nodes) {
      for (const [nodeId, digest] of Object.entries(JSON.parse(nodes) as Record<string, unknown>)) {
        if (typeof digest === 'string') this.table.addDigest(digest, { kind: 'node', nodeId });
      }
    }
  }

  /** A node credential for a node being launched or set up: admitted from now on, its digest kept on disk. */
  mintNode(nodeId: string): string {
    const secret = this.table.mint('node', { kind: 'node', nodeId });
    this.saveNodes();
    return secret;
  }

  /** Terminated nodes: their credentials admit nobody, now and after a restart of the head. */
  revokeNodes(nodeIds: readonly string[]): void {
    const gone = new Set(nodeIds);
    this.table.revoke((id) => id.kind === 'node' && gone.has(id.nodeId));
    this.saveNodes();
  }

  private saveNodes(): void {
    const file = nodeDigestsFile(this.stateDir);
    writeFileSync(`${file}.tmp`, JSON.stringify(this.table.nodeDigests()), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  /** A job credential for the driver of `jobId`; `saved` resolves once its digest is durable. */
  mintJob(jobId: string): { secret: string; saved: Promise<void> } {
    const secret = mintCredential('job');
    const digest = credentialDigest(secret);
    this.table.addDigest(digest, { kind: 'job', jobId });
    return { secret, saved: this.jobs?.update(jobId, () => ({ digest })) ?? Promise.resolve() };
  }

  revokeJob(jobId: string): void {
    this.table.revoke((id) => id.kind === 'job' && id.jobId === jobId);
    if (this.jobs?.get(jobId)) writeBehind(this.jobs.update(jobId, () => undefined));
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
