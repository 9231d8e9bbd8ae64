import { credentialDigest, mintCredential } from '../common/credentials.js';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { headFile, type HeadInfo, operatorDigestFile } from '../common/node-args.js';
import { clusterDir, raylaunchHome } from '../common/paths.js';
import { UsageError } from '../common/errors.js';
import { isClusterName } from '../config/cluster-name.js';
import type { ClusterConfig } from '../config/types.js';
import { ClusterNotFoundError } from './errors.js';

/**
 * ~/.raylaunch/clusters/<name>/, created 0700 (head address, config, logs). `passable`: where it is also the nodes'
 * state folder and their worker processes run as raylaunch.worker_user (the process provider), it and clusters/
 * are 0711 instead: that user passes through to its job's folder below, and still lists nothing; the files in them
 * stay 0600.
 */
export function ensureClusterDir(name: string, o: { passable?: boolean } = {}): string {
  const dir = clusterDir(name);
  const mode = o.passable ? 0o711 : 0o700;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (o.passable) chmodSync(dirname(dir), mode);
  chmodSync(dir, mode);
  return dir;
}

/**
 * ~/.raylaunch/credentials/<name>: the operator's credential for the cluster (0600, in a 0700 folder). Apart from
 * the cluster's folder on purpose: on the process provider that folder is also every node's state folder, which
 * a task can read.
 */
export const operatorCredentialPath = (name: string) => join(raylaunchHome(), 'credentials', name);

/**
 * The operator's credential: `rlo_` and 256 random bits, stored 0600 on this machine only, made once per
 * cluster; the head gets only its digest. Never printed or put in argv.
 */
export function ensureOperatorCredential(name: string): string {
  const file = operatorCredentialPath(name);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  chmodSync(dirname(file), 0o700);
  if (!existsSync(file)) writeFileSync(file, `${mintCredential('operator')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}

export function readOperatorCredential(name: string): string | undefined {
  try {
    return readFileSync(operatorCredentialPath(name), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** What the head keeps of the operator's credential: its digest, for `operatorDigestFile` in the head's state folder. */
export const operatorDigest = (credential: string) => `${credentialDigest(credential)}\n`;

/** Leaves the operator's digest in a head's state folder on this machine (the process provider). */
export function writeOperatorDigest(stateDir: string, credential: string): void {
  writePrivate(operatorDigestFile(stateDir), operatorDigest(credential));
}

export function writePrivate(file: string, content: string): void {
  writeFileSync(`${file}.tmp`, content, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export const configPath = (dir: string) => join(dir, 'config.json');

export function readClusterConfig(dir: string): ClusterConfig | undefined {
  try {
    return JSON.parse(readFileSync(configPath(dir), 'utf8')) as ClusterConfig;
  } catch {
    return undefined;
  }
}

export function readHeadInfo(dir: string): HeadInfo | undefined {
  try {
    return JSON.parse(readFileSync(headFile(dir), 'utf8')) as HeadInfo;
  } catch {
    return undefined;
  }
}

const lastFile = () => join(raylaunchHome(), 'last-cluster');

export function rememberCluster(name: string): void {
  mkdirSync(raylaunchHome(), { recursive: true, mode: 0o700 });
  writePrivate(lastFile(), `${name}\n`);
}

export function lastCluster(): string | undefined {
  try {
    return readFileSync(lastFile(), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Which cluster a command means: the CONFIG's cluster_name, `-c NAME`, or the most recent `up`. oclif cannot
 * put an optional positional before a required one, so the first positional is CONFIG only if it is YAML.
 */
export function isConfigArg(arg: string | undefined): arg is string {
  return arg !== undefined && /\.ya?ml$/i.test(arg);
}

export function clusterFromFlagOrLast(flag: string | undefined): string {
  const name = flag ?? lastCluster();
  if (!name) {
    throw new ClusterNotFoundError('no cluster given and none started from this machine yet', {
      hint: 'pass the cluster config (raylaunch status cluster.yaml) or its name (-c NAME), or start one with raylaunch up',
    });
  }
  // `-c ../..` would otherwise act on the folder above RAYLAUNCH_HOME.
  if (!isClusterName(name)) {
    throw new UsageError(`${JSON.stringify(name)} is not a cluster name`, {
      hint: 'a cluster name uses letters, digits, ".", "-" and "_" and starts with a letter or digit, as cluster_name in a config; raylaunch clusters lists them',
    });
  }
  return name;
}
