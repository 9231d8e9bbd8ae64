import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { CredentialTable } from '../common/credentials.js';
import { nodeDigestsFile, operatorDigestFile } from '../common/node-args.js';

/**
 * The head's credential table and the files that let it outlive a restart: the operator's digest (written by
 * `up`) and the digests of the node credentials this head minted. Only digests are ever on disk here; the
 * secrets are handed to their holders and forgotten. Job credentials live in memory only: a job's driver does
 * not outlive its head.
 */
export class HeadCredentials {
  readonly table = new CredentialTable();

  constructor(private readonly stateDir: string) {
    const operator = readOrUndefined(operatorDigestFile(stateDir))?.trim();
    // Without it nobody may act as the operator: the CLI's connections are refused, which `up` says how to fix.
    if (operator && /^[0-9a-f]{64}$/.test(operator)) this.table.addDigest(operator, { kind: 'operator' });
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

  /** A job credential for the driver of `jobId`. */
  mintJob(jobId: string): string {
    return this.table.mint('job', { kind: 'job', jobId });
  }

  revokeJob(jobId: string): void {
    this.table.revoke((id) => id.kind === 'job' && id.jobId === jobId);
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
