#!/usr/bin/env node
// `npm test`: type check, lint, then the mocha suite. Each of the first two counts as one check; the last line
// printed is always "N passed, N failed", so a failed type check or lint shows in the count (and CI reads it).
import { spawn } from 'node:child_process';

const steps = [
  { name: 'typecheck', cmd: 'npx', args: ['tsc', '--noEmit', '-p', '.'] },
  // The dashboard's pages are browser code (DOM, JSX): a program of their own.
  { name: 'typecheck dashboard', cmd: 'npx', args: ['tsc', '--noEmit', '-p', 'src/dashboard/app'] },
  { name: 'lint', cmd: 'npx', args: ['eslint', '--max-warnings=0', '.'] },
  { name: 'mocha', cmd: 'npx', args: ['mocha', ...(process.argv.length > 2 ? process.argv.slice(2) : ['test/**/*.test.ts'])], counts: true },
];

function run(step) {
  return new Promise((resolve) => {
    console.log(`\n=== ${step.name}: ${step.cmd} ${step.args.join(' ')}`);
    const child = spawn(step.cmd, step.args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString()).slice(-4096);
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), tail }));
  });
}

let passed = 0;
let failed = 0;
for (const step of steps) {
  const { code, tail } = await run(step);
  if (step.counts) {
    const m = /mocha: (\d+) passed, (\d+) failed/.exec(tail);
    if (m) {
      passed += Number(m[1]);
      failed += Number(m[2]);
    }
    // A crash before or after the reporter ran still has to count as a failure.
    if (!m || (code !== 0 && Number(m[2]) === 0)) failed += 1;
  } else if (code === 0) {
    passed += 1;
  } else {
    failed += 1;
    console.log(`=== ${step.name} failed (exit ${code})`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
