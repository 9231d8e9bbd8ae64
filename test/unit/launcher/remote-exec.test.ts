import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'mocha';
import { execCommandLine, loginShellCommand } from '../../../src/launcher/remote-exec.js';

describe('the command line of exec', () => {
  const TABLE: [string, string[], string][] = [
    ['one argument is a shell command line, kept as given', ['echo a; echo b'], 'echo a; echo b'],
    ['one argument with $ and quotes stays for the shell to expand', ['echo "$HOME" \'x\''], 'echo "$HOME" \'x\''],
    ['several plain arguments are joined', ['raylaunch', 'status', '--json'], 'raylaunch status --json'],
    ['an argument with parentheses is quoted', ['python3', '-c', 'print(1)'], 'python3 -c \'print(1)\''],
    ['an argument with spaces is one word', ['ls', 'my dir'], 'ls \'my dir\''],
    ['single quotes inside an argument', ['echo', 'it\'s'], 'echo \'it\'\\\'\'s\''],
    ['$ is not expanded', ['echo', '$HOME', '${X:-y}'], 'echo \'$HOME\' \'${X:-y}\''],
    ['double quotes, backslashes and ; are kept', ['printf', '%s\\n', 'a"b;c'], 'printf \'%s\\n\' \'a"b;c\''],
    ['an empty argument stays an argument', ['printf', '[%s]', ''], 'printf \'[%s]\' \'\''],
  ];
  for (const [what, args, line] of TABLE) {
    it(what, () => assert.equal(execCommandLine(args), line));
  }

  it('several arguments reach the program unchanged through sh -c and bash --login -c', () => {
    const args = ['it\'s', '$HOME', 'a b', '"q"', 'back\\slash', '; echo no', '*', ''];
    const line = execCommandLine(['printf', '[%s]\\n', ...args]);
    const expected = args.map((a) => `[${a}]\n`).join('');
    assert.equal(execFileSync('/bin/sh', ['-c', line], { encoding: 'utf8' }), expected);
    assert.equal(execFileSync('/bin/sh', ['-c', loginShellCommand(line)], { encoding: 'utf8', env: { ...process.env, HOME: '/nonexistent' } }), expected);
  });
});
