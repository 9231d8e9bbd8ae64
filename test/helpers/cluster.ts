import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyJobFixture } from './job-fixtures.js';
import { type CliResult, type OnOutput, runCli, type RunCliOptions } from './run-cli.js';
import type { StatusJson } from '../../src/cli/status-json.js';
import { assertSettled, type SettleAllowance } from './settled.js';
import { until } from './until.js';

/** The process provider's record of one node (nodes/<id>.json). */
export interface NodeRecord { id: string; kind: 'head' | 'worker'; pid: number }

/**
 * A real cluster on the process provider in a throwaway RAYLAUNCH_HOME, driven through the built CLI the way a
 * user would. Every job run through `cli` (submit, run) must leave the cluster settled once it ends: see
 * settled.ts. `stop()` runs `down` and checks that none of its processes are left.
 */
export class TestCluster {
  readonly home: string;
  readonly dir: string;
  readonly configFile: string;

  /** `via`: how every command runs (more environment, a network namespace), as for runCli. */
  constructor(readonly name: string, yaml: string, private readonly allow: SettleAllowance = {}, private readonly via: Pick<RunCliOptions, 'env' | 'netns'> = {}) {
    this.dir = mkdtempSync(join(tmpdir(), `raylaunch-e2e-${name}-`));
    this.home = join(this.dir, 'home');
    this.configFile = join(this.dir, 'cluster.yaml');
    writeFileSync(this.configFile, yaml);
  }

  static processConfig(name: string, o: { headCpus?: number; workers?: number; workerCpus?: number; extra?: string } = {}): string {
    return [
      `cluster_name: ${name}`,
      'provider: {type: process}',
      `max_workers: ${Math.max(o.workers ?? 2, 1)}`,
      'available_node_types:',
      `  head: {resources: {CPU: ${o.headCpus ?? 1}}}`,
      `  worker: {resources: {CPU: ${o.workerCpus ?? 2}}, min_workers: ${o.workers ?? 2}}`,
      'head_node_type: head',
      o.extra ?? '',
      '',
    ].join('\n');
  }

  /** `o.cwd`: where the user runs raylaunch (default: the repository); `o.onOutput`: sees the output as it comes; `o.input`: its stdin. */
  async cli(args: string[], timeoutMs = 120_000, o: { cwd?: string; onOutput?: OnOutput; input?: string } = {}): Promise<CliResult> {
    const r = await runCli(args, { ...this.via, env: { ...this.via.env, RAYLAUNCH_HOME: this.home }, timeoutMs, ...o });
    const ranJob = (args[0] === 'submit' || args[0] === 'run') && !args.includes('--no-wait') && !args.includes('--help');
    if (ranJob) await assertSettled(() => this.status(), this.allow);
    return r;
  }

  async status(): Promise<StatusJson> {
    const r = await runCli(['status', '-c', this.name, '--json'], { ...this.via, env: { ...this.via.env, RAYLAUNCH_HOME: this.home } });
    if (r.code !== 0) throw new Error(`status failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as StatusJson;
  }

  async start(): Promise<CliResult> {
    const r = await this.cli(['up', this.configFile, '-y']);
    if (r.code !== 0) throw new Error(`up failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r;
  }

  /** Writes a job file (and any sibling files) into a folder of its own, outside the repository. */
  writeJob(files: Record<string, string>): string {
    const jobDir = mkdtempSync(join(this.dir, 'job-'));
    for (const [name, content] of Object.entries(files)) {
      const file = join(jobDir, name);
      rmSync(file, { force: true });
      writeFileSync(file, content);
    }
    return jobDir;
  }

  /** A job fixture (test/fixtures/jobs/`name`) copied as writeJob would write it; returns the path of its job.ts. */
  writeFixture(name: string): string {
    return copyJobFixture(name, mkdtempSync(join(this.dir, 'job-')));
  }

  submit(jobFile: string, extra: string[] = [], cwd?: string): Promise<CliResult> {
    return this.cli(['submit', this.configFile, jobFile, ...extra], 60_000, cwd ? { cwd } : {});
  }

  /** Submits a fresh copy of a job fixture; `extra` as for submit, e.g. `['--', 'arg']` for the job's arguments. */
  submitFixture(name: string, extra: string[] = []): Promise<CliResult> {
    return this.submit(this.writeFixture(name), extra);
  }

  headInfo(): { address: string; pid: number } {
    return JSON.parse(readFileSync(join(this.home, 'clusters', this.name, 'head.json'), 'utf8')) as { address: string; pid: number };
  }

  /** The process provider's records of this cluster's nodes. */
  nodeRecords(): NodeRecord[] {
    const dir = join(this.home, 'clusters', this.name, 'nodes');
    return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as NodeRecord);
  }

  /** A node's daemon log. */
  nodeLog(node: { id: string }): string {
    return readFileSync(join(this.home, 'clusters', this.name, 'logs', `${node.id}.log`), 'utf8');
  }

  /** The operator's credential, which stays on this machine (outside the cluster's folder, which nodes share here). */
  token(): string {
    return readFileSync(join(this.home, 'credentials', this.name), 'utf8').trim();
  }

  /**
   * PIDs of every process of this cluster (head, agents, worker processes, drivers): those whose command line or
   * environment names this cluster's state folder. Read only: tests never kill by this list.
   */
  processes(): number[] {
    const marker = join(this.home, 'clusters', this.name);
    return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker) || readFileSync(`/proc/${pid}/environ`, 'utf8').includes(marker);
      } catch {
        return false; // gone meanwhile
      }
    });
  }

  async stop(): Promise<void> {
    try {
      await this.cli(['down', '-c', this.name]);
      // Processes on this machine only (the process provider): an SSH cluster's live on its hosts.
      const left = await until('the cluster\'s processes to end after down', 60_000, () => (this.processes().length === 0 ? true : undefined)).catch(() => this.processes());
      if (left !== true) throw new Error(`down left processes of cluster ${this.name} running: ${left.join(', ')}`);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

