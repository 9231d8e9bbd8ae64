import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { suggestCommand } from '../../../src/cli/suggest-command.js';

const IDS = ['attach', 'clusters', 'down', 'exec', 'job', 'job list', 'job logs', 'job status', 'job stop', 'status', 'submit', 'up', 'validate'];

describe('the command a mistyped one most likely meant', () => {
  const CASES: [string, string | undefined][] = [
    ['stauts', 'status'],
    ['jobs list', 'job list'],
    ['jobs', 'job'],
    ['logs', 'job logs'],
    ['logs job-1a2b', 'job logs | job-1a2b'],
    ['job lst', 'job list'],
    ['sumbit job.ts', 'submit | job.ts'],
    ['frobnicate', undefined],
  ];
  for (const [typed, meant] of CASES) {
    it(`"${typed}" → ${meant === undefined ? 'nothing close' : `"${meant}"`}`, () => {
      const s = suggestCommand(typed.split(' '), IDS);
      assert.equal(s && [s.meant, ...s.rest].join(' | '), meant);
    });
  }
});
