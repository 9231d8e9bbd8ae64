// Commands whose own arguments look like raylaunch's flags: everything after `--` is the command's, always. One
// table for every provider and every way of naming the cluster.

export interface ExecCase {
  title: string;
  /** The command and its arguments, as given after `--`. */
  command: string[];
  stdout: string;
  code: number;
}

export const EXEC_CASES: ExecCase[] = [
  { title: 'sh -c with an exit code', command: ['sh', '-c', 'echo out-line; exit 7'], stdout: 'out-line\n', code: 7 },
  { title: 'bash -lc', command: ['bash', '-lc', 'echo "login shell $0"'], stdout: 'login shell bash\n', code: 0 },
  { title: 'python3 -c with a -c of its own among the arguments', command: ['python3', '-c', 'import sys; print(sys.argv[1:])', '-c', 'x'], stdout: "['-c', 'x']\n", code: 0 },
  { title: '-p and --tmux among the arguments', command: ['sh', '-c', 'echo "$@"', 'sh', '-p', '8080', '--tmux'], stdout: '-p 8080 --tmux\n', code: 0 },
  { title: 'another -- among the arguments', command: ['sh', '-c', 'echo "$@"', 'sh', '--', '--debug', '--json'], stdout: '-- --debug --json\n', code: 0 },
];
