import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterConfig } from '../config/types.js';

/** What every node process is started with: `--cluster <name> --node <id>` and its environment. */
export interface NodeStart {
  cluster: string;
  node: string;
  stateDir: string;
  config: ClusterConfig;
}

function flag(argv: readonly string[], name: string): string {
  const i = argv.indexOf(name);
  const v = i >= 0 ? argv[i + 1] : undefined;
  if (!v) throw new Error(`missing ${name}`);
  return v;
}

export function readNodeStart(argv: readonly string[]): NodeStart {
  const stateDir = process.env.RAYLAUNCH_STATE_DIR;
  if (!stateDir) throw new Error('RAYLAUNCH_STATE_DIR must be set');
  return {
    cluster: flag(argv, '--cluster'),
    node: flag(argv, '--node'),
    stateDir,
    config: JSON.parse(readFileSync(join(stateDir, 'config.json'), 'utf8')) as ClusterConfig,
  };
}

/** A node's own folder (job bundles, worker logs); provider records live beside, in <stateDir>/nodes. */
export const nodeDir = (stateDir: string, nodeId: string) => join(stateDir, 'node-data', nodeId);

/** The hex SHA-256 of the operator's credential, which `up` leaves in the head's state folder (the credential stays with the operator). */
export const operatorDigestFile = (stateDir: string) => join(stateDir, 'operator.sha256');

/** The digests of the node credentials the head minted, by node id: they outlive a head restart. */
export const nodeDigestsFile = (stateDir: string) => join(stateDir, 'node-credentials.json');

/**
 * The control plane's port, chosen by the first start of a cluster's head and kept for every later one (agents and
 * drivers hold the head's host:port); `down` removes it.
 */
export const controlPortFile = (stateDir: string) => join(stateDir, 'control-port');

/** The file the head writes once it listens: how the CLI and nodes reach it. */
export const headFile = (stateDir: string) => join(stateDir, 'head.json');

export interface HeadInfo { nodeId: string; address: string; pid: number; startedAt: number }
