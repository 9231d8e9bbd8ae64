import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { planUpdate } from '../../../src/updater/plan.js';
import type { Probe } from '../../../src/updater/remote.js';

const up: Probe = { nodeMajor: 20, nodeVersion: 'v20.19.0', runtimePresent: true, appliedHash: 'h1', configHash: 'c1', daemonRunning: true };
const wants = { runtimeHash: 'h1', configHash: 'c1', forceSetup: false, restartOnly: false };

describe('planUpdate', () => {
  const CASES: [string, Partial<Probe>, Partial<typeof wants>, [boolean, boolean, boolean, boolean]][] = [
    // name, probe change, wants change, [uploadRuntime, sync, setup, start]
    ['an unchanged running node is left alone (no restart)', {}, {}, [false, false, false, false]],
    ['a fresh host gets everything', { runtimePresent: false, appliedHash: '', configHash: '', daemonRunning: false }, {}, [true, true, true, true]],
    ['a changed runtime hash re-runs sync and setup', { appliedHash: 'old' }, {}, [false, true, true, true]],
    ['a missing runtime folder is uploaded and set up again', { runtimePresent: false }, {}, [true, true, true, true]],
    ['a changed config alone syncs and restarts without setup', { configHash: 'old' }, {}, [false, true, false, true]],
    ['a stopped daemon is started without sync or setup', { daemonRunning: false }, {}, [false, false, false, true]],
    ['--force-setup re-runs sync and setup on an unchanged node', {}, { forceSetup: true }, [false, true, true, true]],
    ['--restart-only restarts without sync or setup', {}, { restartOnly: true }, [false, false, false, true]],
    ['--restart-only still brings a changed config', { configHash: 'old' }, { restartOnly: true }, [false, true, false, true]],
  ];
  for (const [name, probe, w, [uploadRuntime, sync, setup, start]] of CASES) {
    it(name, () => {
      const s = planUpdate({ ...up, ...probe }, { ...wants, ...w });
      assert.deepEqual({ uploadRuntime: s.uploadRuntime, sync: s.sync, setup: s.setup, start: s.start }, { uploadRuntime, sync, setup, start });
      assert.ok(s.reason.length > 0);
    });
  }
});
