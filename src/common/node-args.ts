import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterConfig } from '../config/types.js';

/** What every node process is started with: `--cluster <name> --node <id>` and its environment. */
export interface NodeStart {
  cluster: string;
  node: string;
  stateDir: string;
  token: string;
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
  const tokenFile = process.env.RAYLAUNCH_TOKEN_FILE;
  if (!stateDir || !tokenFile) throw new Error('RAYLAUNCH_STATE_DIR and RAYLAUNCH_TOKEN_FILE must be set');
  return {
    cluster: flag(argv, '--cluster'),
    node: flag(argv, '--node'),
    stateDir,
    token: readFileSync(tokenFile, 'utf8').trim(),
    config: JSON.parse(readFileSync(join(stateDir, 'config.json'), 'utf8')) as ClusterConfig,
  };
}

/** A node's own folder (job bundles, worker logs); provider records live beside, in <stateDir>/nodes. */
export const nodeDir = (stateDir: string, nodeId: string) => join(stateDir, 'node-data', nodeId);

/** The file the head writes once it listens: how the CLI and nodes reach it. */
export const headFile = (stateDir: string) => join(stateDir, 'head.json');

export interface HeadInfo { nodeId: string; address: string; pid: number; startedAt: number }
