import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { remoteMkdir, sshRsyncArgs } from '../../../src/launcher/rsync.js';
import { attachArgs, rsyncShell, rsyncWord, type AttachOptions } from '../../../src/launcher/ssh-commands.js';

const target = { host: '10.0.0.5', user: 'ubuntu', privateKeyPath: '/keys/my key', knownHostsPath: '/home/u/.raylaunch/clusters/c/known_hosts' };
const noFilters = { rsync_exclude: [], rsync_filter: [] };
const plain: AttachOptions = { tmux: false, screen: false, new: false, ports: [], tty: true };

describe('the system ssh and rsync command lines of exec, attach and rsync-up/down', () => {
  it('trust only the cluster\'s known_hosts, strictly, with the cluster\'s key only', () => {
    const args = attachArgs(target, plain).join(' ');
    assert.match(args, /-o UserKnownHostsFile=\/home\/u\/\.raylaunch\/clusters\/c\/known_hosts -o GlobalKnownHostsFile=\/dev\/null -o StrictHostKeyChecking=yes/);
    assert.match(args, /-i \/keys\/my key -o IdentitiesOnly=yes/);
    assert.doesNotMatch(args, /StrictHostKeyChecking=(no|accept-new)/);
  });

  const ATTACH: [string, Partial<AttachOptions>, string[]][] = [
    ['a login shell', {}, ['-t', 'ubuntu@10.0.0.5']],
    ['tmux: the latest session, else a new one', { tmux: true }, ['-t', 'ubuntu@10.0.0.5', 'tmux attach-session 2>/dev/null || tmux new-session']],
    ['tmux --new', { tmux: true, new: true }, ['-t', 'ubuntu@10.0.0.5', 'tmux new-session']],
    ['screen', { screen: true }, ['-t', 'ubuntu@10.0.0.5', 'screen -xRR']],
    ['ports forwarded', { ports: [8265, 8080] }, ['-L', '8265:localhost:8265', '-L', '8080:localhost:8080', '-t', 'ubuntu@10.0.0.5']],
    ['commands piped in: no terminal asked for, the login shell reads them', { tty: false }, ['-T', 'ubuntu@10.0.0.5']],
  ];
  for (const [what, o, tail] of ATTACH) {
    it(`attach: ${what}`, () => {
      const args = attachArgs(target, { ...plain, ...o });
      assert.deepEqual(args.slice(args.length - tail.length), tail);
    });
  }

  it('rsync -e keeps a path with spaces as one word, in the quotes rsync understands', () => {
    assert.equal(rsyncWord('plain/path-1.txt'), 'plain/path-1.txt');
    assert.equal(rsyncWord('my key'), "'my key'");
    assert.equal(rsyncWord("it's"), '"it\'s"');
    assert.throws(() => rsyncWord(`it's "x"`), /both kinds of quote/);
    assert.match(rsyncShell(target), /^ssh -i '\/keys\/my key' -o IdentitiesOnly=yes /);
  });

  const MKDIR: [string, string | undefined][] = [
    ['file.txt', undefined],
    ['~/file.txt', undefined],
    ['/file.txt', undefined],
    ['a/b/file.txt', 'mkdir -p "$HOME"/a/b'],
    ['a b/c/', 'mkdir -p "$HOME"/\'a b/c\''],
    ['~/x/y', 'mkdir -p "$HOME"/x'],
    ['/srv/data/f', 'mkdir -p /srv/data'],
  ];
  for (const [t, mkdir] of MKDIR) {
    it(`rsync-up to ${t} first makes ${mkdir ?? 'no folder'}`, () => assert.equal(remoteMkdir(t), mkdir));
  }

  it('rsync-up makes the folder in the receiving rsync\'s own login; a local path with a colon stays local', () => {
    const args = sshRsyncArgs(target, { direction: 'up', source: 'a:b', target: 'd/e' }, { rsync_exclude: ['build'], rsync_filter: ['.gitignore'] });
    assert.deepEqual(args.slice(0, 5), ['-a', '--exclude', 'build', '--filter', 'dir-merge,- .gitignore']);
    assert.deepEqual(args.slice(-3), ['--rsync-path=mkdir -p "$HOME"/d && rsync', './a:b', 'ubuntu@10.0.0.5:d/e']);
    assert.deepEqual(sshRsyncArgs(target, { direction: 'down', source: 'd/', target: 'here' }, noFilters).slice(-2), ['ubuntu@10.0.0.5:d/', 'here']);
  });
});
