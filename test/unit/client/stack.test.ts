import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { cleanStack, firstUserFrame, jobSources } from '../../../src/client/stack.js';

const BUNDLE = '/home/u/.raylaunch/node-data/worker-1/jobs/job-1a2b/job.mjs';
// As `submit` names them: relative to where the user ran it (even above it), or absolute.
const SOURCES = jobSources(BUNDLE, ['job.ts', 'src/lib.ts', '../shared/util.ts', '/opt/jobs/abs.ts', 'node_modules/left-pad/index.js']);

describe('stacks name the job\'s files as submitted', () => {
  it('maps each source to the path Node prints for it, resolved against the bundle', () => {
    assert.deepEqual([...SOURCES], [
      ['/home/u/.raylaunch/node-data/worker-1/jobs/job-1a2b/job.ts', 'job.ts'],
      ['/home/u/.raylaunch/node-data/worker-1/jobs/job-1a2b/src/lib.ts', 'src/lib.ts'],
      ['/home/u/.raylaunch/node-data/worker-1/jobs/shared/util.ts', '../shared/util.ts'],
      ['/opt/jobs/abs.ts', '/opt/jobs/abs.ts'],
      ['/home/u/.raylaunch/node-data/worker-1/jobs/job-1a2b/node_modules/left-pad/index.js', 'node_modules/left-pad/index.js'],
    ]);
  });

  const J = '/home/u/.raylaunch/node-data/worker-1/jobs/job-1a2b';
  const cases: { name: string; stack: string; want: string }[] = [
    {
      name: 'a task\'s frames keep their names and lose raylaunch\'s and Node\'s',
      stack: [
        'Error: boom',
        `    at pad (${J}/node_modules/left-pad/index.js:3:9)`,
        `    at g (${J}/job.ts:5:9)`,
        '    at <anonymous> (/work/raylaunch/src/worker/worker-process.ts:96:12)',
        '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
        '    at async outcome (/home/u/.raylaunch/runtime/0.1.0-abc/worker-process.js:78:14)',
      ].join('\n'),
      want: 'Error: boom\n    at pad (node_modules/left-pad/index.js:3:9)\n    at g (job.ts:5:9)',
    },
    {
      name: 'async, anonymous and constructor frames; files above the job and absolute ones',
      stack: [
        'TypeError: bad',
        `    at new Parser (${J}/src/lib.ts:10:11)`,
        '    at /home/u/.raylaunch/node-data/worker-1/jobs/shared/util.ts:2:3',
        '    at async run (/opt/jobs/abs.ts:7:1)',
        '    at async Promise.all (index 0)',
      ].join('\n'),
      want: 'TypeError: bad\n    at new Parser (src/lib.ts:10:11)\n    at ../shared/util.ts:2:3\n    at async run (/opt/jobs/abs.ts:7:1)',
    },
    {
      name: 'a message over several lines stays whole',
      stack: `AssertionError: Expected values to be equal:\n\n1 !== 2\n\n    at check (${J}/job.ts:3:10)\n    at node:internal/x:1:1`,
      want: 'AssertionError: Expected values to be equal:\n\n1 !== 2\n\n    at check (job.ts:3:10)',
    },
    {
      name: 'an error raised inside Node keeps its message and loses the frames',
      stack: "Error: ENOENT: no such file or directory, open 'data.txt'\n    at Object.openSync (node:fs:573:3)",
      want: "Error: ENOENT: no such file or directory, open 'data.txt'",
    },
    {
      name: 'a file of the job folder that is not one of the job\'s sources is raylaunch\'s (the bundle\'s banner)',
      stack: `Error: x\n    at file://${J}/job.mjs:1:1\n    at ${J}/job.mjs:2:2`,
      want: 'Error: x',
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(cleanStack(c.stack, SOURCES), c.want));
  }

  it('a bundle without a source map (built by hand) keeps its stacks as Node printed them', () => {
    const stack = 'Error: x\n    at f (/tmp/job.mjs:1:2)\n    at node:internal/y:1:1';
    assert.equal(cleanStack(stack, new Map()), stack);
  });

  it('the first frame in the job\'s files is where the user\'s code made the call', () => {
    const stack = [
      'DriverCodeOutsideMainError: f.remote() was called at the module\'s top level; driver code belongs inside main()',
      '    at requireRuntime (/work/raylaunch/src/client/context.ts:17:11)',
      '    at Object.remote (/work/raylaunch/src/client/api.ts:20:26)',
      `    at helper (${J}/src/lib.ts:4:5)`,
      `    at <anonymous> (${J}/job.ts:7:3)`,
    ].join('\n');
    assert.deepEqual(firstUserFrame(stack, SOURCES), { file: 'src/lib.ts', line: 4, column: 5 });
    assert.equal(firstUserFrame('Error: x\n    at node:internal/y:1:1', SOURCES), undefined);
  });
});
