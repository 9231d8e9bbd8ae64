// A job names its actors, fails its tasks with messages of its own and is named after its file: status and the job
// commands show all of it to the operator as text, never as terminal control sequences.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { TestCluster } from '../../helpers/cluster.js';

// Retitles the window, clears the screen, and starts a forged line.
const EVIL = 'x\u001b]0;pwned\u0007\u001b[2J\u009b31m\nFORGED';
/** The control characters in a text, as code points (line breaks aside). */
const controls = (s: string) => [...s].map((c) => c.codePointAt(0) ?? 0).filter((n) => (n < 0x20 && n !== 10) || (n >= 0x7f && n <= 0x9f));

const JOB = `
import { get, main, remote } from 'raylaunch';
const EVIL = ${JSON.stringify(EVIL)};
class Named { hi() { return 1; } }
export const NamedActor = remote(Named);
export const fail = remote(function fail() { throw new Error(EVIL); }, { maxRetries: 0 });
main(async () => {
  const a = NamedActor.options({ name: EVIL, lifetime: 'detached' }).remote();
  await get(a.hi.remote());
  await get(fail.remote()).catch(() => undefined);
});
`;

describe('what a job names and says, in the human output of status and the job commands', function () {
  this.timeout(120_000);
  const name = `printable${process.pid}`;
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { workers: 1 }));
  let jobId = '';

  before(async () => {
    await cluster.start();
    const file = join(cluster.writeJob({ [`job${EVIL.replace(/\n/g, '')}.ts`]: JOB }), `job${EVIL.replace(/\n/g, '')}.ts`);
    const r = await cluster.submit(file, ['--json']);
    assert.equal(r.code, 0, r.stderr);
    jobId = (JSON.parse(r.stdout) as { job_id: string }).job_id;
  });
  after(async () => { await cluster.stop(); });

  const COMMANDS: [string, () => string[], RegExp][] = [
    ['status', () => ['status', '-c', name], /x\]0;pwned\[2J31m FORGED/],
    ['job list', () => ['job', 'list', '-c', name], /jobx\]0;pwned\[2J31mFORGED\.ts/],
    ['job status', () => ['job', 'status', '-c', name, jobId], /jobx\]0;pwned\[2J31mFORGED\.ts/],
  ];
  for (const [what, args, shown] of COMMANDS) {
    it(`${what} prints the job's names and messages as text`, async () => {
      const r = await cluster.cli(args());
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(controls(r.stdout), [], JSON.stringify(r.stdout));
      assert.match(r.stdout, shown);
      assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('FORGED')).length, 0, 'no line of the output starts where a job said');
    });
  }

  it('status --json keeps the values as they are (JSON escapes them)', async () => {
    const r = await cluster.cli(['status', '-c', name, '--json']);
    const s = JSON.parse(r.stdout) as { actors: { name: string | null }[] };
    assert.ok(s.actors.some((a) => a.name === EVIL), r.stdout);
  });
});
