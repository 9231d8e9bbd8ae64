import { closeSync, fstatSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';

/**
 * A job's driver.log, the copy of its output the head keeps (and followers start from after a head restart).
 * Written synchronously, so that its length, saved in the driver's record together with how far the driver's
 * files were read, says exactly what it holds: a head killed between the two leaves a log longer than its
 * record, which the next head cuts back (`trimLog`) and reads again from the driver's files. Output is then
 * neither lost nor repeated, in the log and for a follower that resumes at its count of characters.
 */
export class JobLog {
  private fd: number | undefined;
  /** The log's length in bytes (what the driver's record keeps). */
  bytes = 0;

  constructor(file: string) {
    try {
      this.fd = openSync(file, 'a', 0o600);
      this.bytes = fstatSync(this.fd).size;
    } catch {
      // A log that cannot be written loses the log, not the job.
      this.fd = undefined;
    }
  }

  get open(): boolean {
    return this.fd !== undefined;
  }

  append(text: string): void {
    if (this.fd === undefined) return;
    try {
      const buf = Buffer.from(text);
      writeSync(this.fd, buf);
      this.bytes += buf.length;
    } catch {
      // a full disk loses the log's tail, not the head
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Cuts a log back to `bytes` when it is longer (what was logged after the record was saved is read again). */
export function trimLog(file: string, bytes: number): void {
  try {
    if (statSync(file).size > bytes) truncateSync(file, bytes);
  } catch {
    // no log yet
  }
}

/** A finished job's log as one piece of output (stdout and stderr were written to it interleaved). */
export function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
