import { spawn } from 'node:child_process';
import { closeSync, type FSWatcher, openSync, readFileSync, readSync, renameSync, watch, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { isLive, readStatSync } from '../../../providers/process/proc.js';

/**
 * A job's driver runs detached from the head (its own session and process group, output to files in the job's
 * folder), so the head service can crash and restart while the job runs on. The head learns of the driver's end
 * without being its parent: a small shell wrapper, the group's leader, waits for the driver and writes its exit
 * status to a file (atomically, by rename); a driver that vanished without one (the whole group killed) is seen
 * by its pid no longer naming the process that started at its start time.
 */
export const DRIVER_FILES = { stdout: 'stdout.log', stderr: 'stderr.log', exit: 'exit-status', record: 'driver.json' } as const;

export type Stream = 'stdout' | 'stderr';

/** The driver's process group leader, known by pid and start time (a pid alone may name a newer process), and how far its output was read. */
export interface DriverRecord {
  pid: number;
  /** /proc/<pid>/stat field 22, in clock ticks since boot. */
  startTime: number;
  offsets: Record<Stream, number>;
  /** The length of driver.log when these offsets were saved (job-log.ts): a head killed after it logged more cuts it back. */
  logBytes?: number;
}

// The trap keeps the wrapper alive through a group's SIGTERM until the driver it waits for has ended (a trap runs
// only after the foreground command); the driver itself gets the signal's default action, as it was never ignored.
const WRAPPER = 'f=$1; shift; trap ":" TERM INT; "$@"; c=$?; printf "%s\\n" "$c" > "$f.tmp" && mv -f "$f.tmp" "$f"';

/** Starts `argv` detached in `dir`'s files and returns its record (written to the job's folder too). */
export function startDriver(o: { dir: string; cwd: string; env: NodeJS.ProcessEnv; argv: readonly string[] }): DriverRecord {
  const out = openSync(join(o.dir, DRIVER_FILES.stdout), 'a', 0o600);
  const err = openSync(join(o.dir, DRIVER_FILES.stderr), 'a', 0o600);
  try {
    const child = spawn('/bin/sh', ['-c', WRAPPER, 'raylaunch-driver', join(o.dir, DRIVER_FILES.exit), ...o.argv], {
      cwd: o.cwd, env: o.env, detached: true, stdio: ['ignore', out, err],
    });
    child.on('error', () => undefined); // no pid: reported below; later errors (a failed kill) are not the head's end
    if (child.pid === undefined) throw new Error('the driver\'s process could not be started');
    // Read before the event loop turns: a child that died at once is still an unreaped zombie with its start time.
    const stat = readStatSync(child.pid);
    child.unref();
    if (!stat) throw new Error(`the driver's process (pid ${child.pid}) vanished at once`);
    const record: DriverRecord = { pid: child.pid, startTime: stat.startTime, offsets: { stdout: 0, stderr: 0 } };
    saveDriverRecord(o.dir, record);
    return record;
  } finally {
    closeSync(out);
    closeSync(err);
  }
}

export function saveDriverRecord(dir: string, record: DriverRecord): void {
  const file = join(dir, DRIVER_FILES.record);
  writeFileSync(`${file}.tmp`, JSON.stringify(record), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** The record of a job's detached driver, or undefined when it has none (it ran under an older head, or never started). */
export function readDriverRecord(dir: string): DriverRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(dir, DRIVER_FILES.record), 'utf8')) as Partial<DriverRecord>;
    const ok = Number.isSafeInteger(r.pid) && (r.pid ?? 0) > 1 && Number.isSafeInteger(r.startTime)
      && Number.isSafeInteger(r.offsets?.stdout) && Number.isSafeInteger(r.offsets?.stderr)
      && (r.logBytes === undefined || (Number.isSafeInteger(r.logBytes) && r.logBytes >= 0));
    return ok ? (r as DriverRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that started as (pid, startTime) still runs: a recycled pid names someone else. */
export function driverAlive(r: Pick<DriverRecord, 'pid' | 'startTime'>): boolean {
  const s = readStatSync(r.pid);
  return s !== undefined && s.startTime === r.startTime && isLive(s);
}

/** How a driver ended, as the job records it. */
export interface DriverEnd {
  exitCode: number | null;
  /** The signal that ended it, or undefined. */
  signal?: string;
  /** No exit status was written: the wrapper went too (its group was killed). */
  vanished?: boolean;
}

/**
 * What the files and /proc say of a driver (pure): its exit status file's text if there is one, and whether its
 * wrapper still runs. undefined: it runs on.
 */
export function driverEnd(exitText: string | undefined, alive: boolean): DriverEnd | undefined {
  if (exitText !== undefined) {
    const status = Number(exitText.trim());
    if (!Number.isInteger(status) || status < 0) return { exitCode: null, vanished: true };
    // The shell's 128 + n for a child ended by signal n.
    const signal = status > 128 ? Object.entries(constants.signals).find(([, n]) => n === status - 128)?.[0] : undefined;
    return signal ? { exitCode: null, signal } : { exitCode: status };
  }
  return alive ? undefined : { exitCode: null, vanished: true };
}

/**
 * How a driver stands now, from its wrapper's liveness and then its exit status file, in that order: the wrapper
 * writes the file before it exits, so once it is seen gone the file is there if it ever will be. (Read the other
 * way round, a wrapper that wrote and exited between the two reads looked like a driver killed without a status.)
 */
export function driverEndNow(alive: () => boolean, exitText: () => string | undefined): DriverEnd | undefined {
  const running = alive();
  return driverEnd(exitText(), running);
}

/** How often the driver's files and process are looked at when no file event came (events can be missed). */
const LOOK_EVERY_MS = 500;
/** The most read from one output file at a time. */
const CHUNK = 1024 * 1024;

/**
 * Follows a detached driver from wherever its record's offsets say: its output files as they grow, and its end
 * (the exit status file, or the wrapper gone without one). Works the same for a driver this head started and for
 * one a head before it started.
 */
export class DriverWatch {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly decoders: Record<Stream, StringDecoder> = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private done = false;

  constructor(
    private readonly dir: string,
    readonly record: DriverRecord,
    private readonly on: { output(stream: Stream, text: string): void; ended(end: DriverEnd): void },
  ) {}

  start(): void {
    try {
      this.watcher = watch(this.dir, () => this.look());
      this.watcher.on('error', () => undefined); // the timer goes on looking
    } catch {
      this.watcher = undefined;
    }
    this.timer = setInterval(() => this.look(), LOOK_EVERY_MS);
    this.timer.unref();
    this.look();
  }

  stop(): void {
    this.done = true;
    this.watcher?.close();
    clearInterval(this.timer);
  }

  /** Reads what is new, then whether the driver ended (after a last read, so nothing it wrote is missed). */
  look(): void {
    if (this.done) return;
    this.read('stdout');
    this.read('stderr');
    const end = driverEndNow(() => driverAlive(this.record), () => readOrUndefined(join(this.dir, DRIVER_FILES.exit)));
    if (!end) return;
    // The wrapper writes its status after the driver's last write; a vanished group wrote nothing more either.
    this.read('stdout');
    this.read('stderr');
    this.stop();
    this.on.ended(end);
  }

  private read(stream: Stream): void {
    let fd: number;
    try {
      fd = openSync(join(this.dir, DRIVER_FILES[stream]), 'r');
    } catch {
      return;
    }
    try {
      const buf = Buffer.alloc(CHUNK);
      for (;;) {
        const n = readSync(fd, buf, 0, CHUNK, this.record.offsets[stream]);
        if (n <= 0) break;
        this.record.offsets[stream] += n;
        const text = this.decoders[stream].write(buf.subarray(0, n));
        if (text) this.on.output(stream, text);
      }
    } finally {
      closeSync(fd);
    }
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
