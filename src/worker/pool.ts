import type { ChildProcess } from 'node:child_process';
import { add, type Fixed, fits, subtract } from '../common/resources.js';
import type { Message, MessageOf } from '../protocol/messages.js';

/** One worker process of a job, as the pool sees it. */
export interface WorkerProc {
  clientId: string;
  jobId: string;
  child: ChildProcess;
  ready: boolean;
  running: MessageOf<'task.run'> | undefined;
  blocked: boolean;
  /** Why the agent killed it (it sent what it may not): what its task's crash report says instead of the signal. */
  fault?: string;
}

export interface PoolOptions {
  /** Starts a worker process for a job (its bundle is on disk by then). */
  spawn(jobId: string): Promise<WorkerProc>;
  /** Process limit; blocked workers do not count, so nested work can always make progress. */
  maxBusy: number;
  /** The node's resources: tasks start only while they fit (the head may send some ahead). */
  total: Fixed;
  /** A task's worker process died under it. */
  onCrash(run: MessageOf<'task.run'>, pid: number, reason: string): void;
}

/**
 * Worker processes per job, one task at a time each. The head decides how many tasks a node runs (by its
 * resources); the pool only bounds processes and reuses idle ones.
 */
export class WorkerPool {
  private readonly procs = new Set<WorkerProc>();
  private readonly queue: MessageOf<'task.run'>[] = [];
  private starting = 0;
  /** What running (not blocked) tasks hold of the node's resources, as the agent counts them. */
  private free: Fixed;

  constructor(private readonly opts: PoolOptions) {
    this.free = opts.total;
  }

  run(m: MessageOf<'task.run'>): void {
    this.queue.push(m);
    this.dispatch();
  }

  private busy(): number {
    let n = this.starting;
    for (const p of this.procs) if (p.running && !p.blocked) n += 1;
    return n;
  }

  private dispatch(): void {
    for (let i = 0; i < this.queue.length;) {
      const m = this.queue[i] as MessageOf<'task.run'>;
      // Placement-group work was placed in reserved resources by the head; the rest waits for room here.
      if (!m.task.placement && !fits(this.free, m.task.resources)) {
        i += 1;
        continue;
      }
      const idle = this.idleFor(m.task.jobId);
      if (idle) {
        this.queue.splice(i, 1);
        this.assign(idle, m);
        continue;
      }
      const startingForJob = this.startingJobs.get(m.task.jobId) ?? 0;
      const waitingForJob = this.queue.slice(0, i + 1).filter((q) => q.task.jobId === m.task.jobId).length;
      if (this.busy() < this.opts.maxBusy && startingForJob < waitingForJob) {
        this.start(m.task.jobId);
      }
      i += 1;
    }
  }

  private readonly startingJobs = new Map<string, number>();

  private start(jobId: string): void {
    this.starting += 1;
    this.startingJobs.set(jobId, (this.startingJobs.get(jobId) ?? 0) + 1);
    this.opts.spawn(jobId).then((p) => {
      this.procs.add(p);
      p.child.once('exit', (code, signal) => this.exited(p, p.fault ?? (code === null ? `killed by ${signal ?? 'a signal'}` : `exited with code ${code}`)));
    }, () => {
      this.doneStarting(jobId);
      this.failQueued(jobId, 'the worker process could not be started');
    });
  }

  private doneStarting(jobId: string): void {
    this.starting -= 1;
    this.startingJobs.set(jobId, (this.startingJobs.get(jobId) ?? 1) - 1);
  }

  /** Called by the agent when a worker process says hello (it has loaded the job's bundle). */
  markReady(p: WorkerProc): void {
    if (p.ready) return;
    p.ready = true;
    this.doneStarting(p.jobId);
    this.dispatch();
  }

  private idleFor(jobId: string): WorkerProc | undefined {
    for (const p of this.procs) if (p.ready && !p.running && p.jobId === jobId) return p;
    return undefined;
  }

  private assign(p: WorkerProc, m: MessageOf<'task.run'>): void {
    p.running = m;
    p.blocked = false;
    this.free = subtract(this.free, m.task.resources);
    p.child.send([m] satisfies Message[]);
  }

  /** What a process's task holds now: all of its request, or (while blocked in get) all but its CPU. */
  private held(p: WorkerProc): Fixed {
    const need = p.running?.task.resources ?? {};
    return p.blocked ? Object.fromEntries(Object.entries(need).filter(([k]) => k !== 'CPU')) : need;
  }

  private releaseOf(p: WorkerProc): void {
    if (p.running) this.free = add(this.free, this.held(p));
  }

  /** A task finished on this process: it is free for the next. */
  finished(p: WorkerProc): void {
    this.releaseOf(p);
    p.running = undefined;
    p.blocked = false;
    this.dispatch();
  }

  setBlocked(p: WorkerProc, blocked: boolean): void {
    if (!p.running || p.blocked === blocked) return;
    const cpu: Fixed = p.running.task.resources.CPU ? { CPU: p.running.task.resources.CPU } : {};
    this.free = blocked ? add(this.free, cpu) : subtract(this.free, cpu);
    p.blocked = blocked;
    if (blocked) this.dispatch();
  }

  private exited(p: WorkerProc, reason: string): void {
    this.procs.delete(p);
    this.releaseOf(p);
    if (!p.ready) {
      // It died while loading the job: fail what waits for it rather than start processes in a loop.
      this.doneStarting(p.jobId);
      this.failQueued(p.jobId, `the worker process ${reason} while starting`);
    }
    if (p.running) this.opts.onCrash(p.running, p.child.pid ?? 0, reason);
    p.running = undefined;
    this.dispatch();
  }

  private failQueued(jobId: string, reason: string): void {
    const failed = this.queue.filter((m) => m.task.jobId === jobId);
    for (const m of failed) this.opts.onCrash(m, 0, reason);
    this.queue.splice(0, this.queue.length, ...this.queue.filter((m) => m.task.jobId !== jobId));
  }

  find(clientId: string): WorkerProc | undefined {
    for (const p of this.procs) if (p.clientId === clientId) return p;
    return undefined;
  }

  /** A job ended: its queued tasks are dropped and its processes stopped. */
  endJob(jobId: string): void {
    this.queue.splice(0, this.queue.length, ...this.queue.filter((m) => m.task.jobId !== jobId));
    for (const p of this.procs) {
      if (p.jobId === jobId) {
        this.releaseOf(p);
        p.running = undefined;
        p.child.kill('SIGKILL');
      }
    }
  }

  /** cancel(force): kills the process running this task; its crash report is ignored by the head. */
  kill(taskId: string): void {
    for (const p of this.procs) if (p.running?.task.taskId === taskId) p.child.kill('SIGKILL');
  }

  /** Stops every worker process (the agent is exiting). */
  killAll(): void {
    for (const p of this.procs) p.child.kill('SIGKILL');
  }

  get stats(): { processes: number; busy: number; queued: number } {
    return { processes: this.procs.size, busy: this.busy(), queued: this.queue.length };
  }
}
