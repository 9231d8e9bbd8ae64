import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import {
  fingerprint,
  formatKnownHostsLine,
  hostToken,
  keyTypeOf,
  lookup,
  parseKnownHosts,
  parseKnownHostsLine,
  parsePublicKey,
  pin,
} from '../../../src/updater/known-hosts.js';

interface GeneratedKey {
  type: string;
  /** the .pub line: `type base64 comment` */
  pub: string;
  blob: Buffer;
  /** as `ssh-keygen -lf` prints it */
  sshKeygenFingerprint: string;
}

describe('known_hosts (OpenSSH format, pinning)', () => {
  let dir: string;
  const keys: Record<string, GeneratedKey> = {};

  const keygen = (type: string, bits?: string): GeneratedKey => {
    const file = join(dir, `key-${type}`);
    execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', bits] : []), '-N', '', '-C', 'test@host', '-f', file]);
    const pub = readFileSync(`${file}.pub`, 'utf8').trim();
    const [keyType = '', base64 = ''] = pub.split(' ');
    const listed = execFileSync('ssh-keygen', ['-lf', `${file}.pub`], { encoding: 'utf8' });
    return { type: keyType, pub, blob: Buffer.from(base64, 'base64'), sshKeygenFingerprint: listed.split(' ')[1] ?? '' };
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'raylaunch-known-hosts-'));
    keys.ed25519 = keygen('ed25519');
    keys.rsa = keygen('rsa', '2048');
    keys.ecdsa = keygen('ecdsa', '256');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const key = (name: string): GeneratedKey => {
    const k = keys[name];
    if (k === undefined) throw new Error(`no key ${name}`);
    return k;
  };
  const b64 = (name: string): string => key(name).blob.toString('base64');

  describe('host names', () => {
    const CASES: [string, number, string][] = [
      ['10.200.0.5', 22, '10.200.0.5'],
      ['10.200.0.5', 2222, '[10.200.0.5]:2222'],
      ['node-1.example.com', 22, 'node-1.example.com'],
      ['node-1.example.com', 8022, '[node-1.example.com]:8022'],
    ];
    for (const [host, port, token] of CASES) it(`${host} port ${port} → ${token}`, () => assert.equal(hostToken(host, port), token));
  });

  describe('key blobs', () => {
    for (const [name, type] of [['ed25519', 'ssh-ed25519'], ['rsa', 'ssh-rsa'], ['ecdsa', 'ecdsa-sha2-nistp256']] as const) {
      it(`reads the type of a ${name} key from its wire blob`, () => assert.equal(keyTypeOf(key(name).blob), type));
      it(`fingerprints a ${name} key as ssh-keygen -lf does`, () => assert.equal(fingerprint(key(name).blob), key(name).sshKeygenFingerprint));
    }

    const BAD: [string, Buffer][] = [
      ['too short', Buffer.from([0, 0])],
      ['a length past the end', Buffer.from([0, 0, 0, 200, 0x61])],
      ['an empty type', Buffer.from([0, 0, 0, 0])],
      ['a type with spaces', Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('a b')])],
    ];
    for (const [name, blob] of BAD) it(`refuses a blob with ${name}`, () => assert.throws(() => keyTypeOf(blob), /not an SSH public key/));

    it('parses an OpenSSH public key line, with or without comment', () => {
      assert.ok(parsePublicKey(key('ed25519').pub).equals(key('ed25519').blob));
      assert.ok(parsePublicKey(`${key('rsa').type} ${b64('rsa')}`).equals(key('rsa').blob));
    });
    const BAD_LINES = ['', 'ssh-ed25519', 'ssh-ed25519 not*base64', `ssh-rsa ${'AAAA'}`];
    for (const line of BAD_LINES) it(`refuses the public key line ${JSON.stringify(line)}`, () => assert.throws(() => parsePublicKey(line), /not an OpenSSH public key/));
    it('refuses a public key line whose type disagrees with its blob', () => {
      assert.throws(() => parsePublicKey(`ssh-rsa ${b64('ed25519')}`), /not an OpenSSH public key/);
    });
  });

  describe('lines', () => {
    it('formats HOST TYPE BASE64 on port 22, [HOST]:PORT off it', () => {
      assert.equal(formatKnownHostsLine('10.0.0.5', 22, key('ed25519').blob), `10.0.0.5 ssh-ed25519 ${b64('ed25519')}`);
      assert.equal(formatKnownHostsLine('10.0.0.5', 2222, key('rsa').blob), `[10.0.0.5]:2222 ssh-rsa ${b64('rsa')}`);
    });

    const LINES: [string, () => string, string[] | undefined][] = [
      ['a plain line', () => `10.0.0.5 ssh-ed25519 ${b64('ed25519')}`, ['10.0.0.5']],
      ['a non-22 port', () => `[10.0.0.5]:2222 ssh-ed25519 ${b64('ed25519')}`, ['[10.0.0.5]:2222']],
      ['several names', () => `node1,10.0.0.5 ecdsa-sha2-nistp256 ${b64('ecdsa')}`, ['node1', '10.0.0.5']],
      ['a trailing comment and extra blanks', () => `  10.0.0.5\tssh-rsa   ${b64('rsa')} root@node1  `, ['10.0.0.5']],
      ['a comment line', () => `# 10.0.0.5 ssh-ed25519 ${b64('ed25519')}`, undefined],
      ['a blank line', () => '   ', undefined],
      ['a hashed name', () => `|1|c2FsdA==|aGFzaA== ssh-ed25519 ${b64('ed25519')}`, undefined],
      ['a marker', () => `@cert-authority *.example.com ssh-ed25519 ${b64('ed25519')}`, undefined],
      ['a type that disagrees with the blob', () => `10.0.0.5 ssh-rsa ${b64('ed25519')}`, undefined],
      ['broken base64', () => '10.0.0.5 ssh-ed25519 AAAA$$$', undefined],
      ['only two fields', () => '10.0.0.5 ssh-ed25519', undefined],
    ];
    for (const [name, line, hosts] of LINES) {
      it(`${name} → ${hosts === undefined ? 'ignored' : hosts.join(',')}`, () => assert.deepEqual(parseKnownHostsLine(line())?.hosts, hosts));
    }

    it('round-trips a formatted line', () => {
      const e = parseKnownHostsLine(formatKnownHostsLine('h', 2200, key('ecdsa').blob));
      assert.deepEqual(e?.hosts, ['[h]:2200']);
      assert.equal(e?.keyType, 'ecdsa-sha2-nistp256');
      assert.ok(e?.key.equals(key('ecdsa').blob));
    });

    it('parses a whole file, skipping what it does not pin by', () => {
      const text = ['# cluster demo', '', `a ssh-ed25519 ${b64('ed25519')}`, '|1|x|y ssh-rsa AAAA', `[b]:2222 ssh-rsa ${b64('rsa')}`, ''].join('\n');
      assert.deepEqual(parseKnownHosts(text).map((e) => e.hosts[0]), ['a', '[b]:2222']);
    });
  });

  describe('pin and lookup', () => {
    const sshKeygenFinds = (file: string, token: string): boolean => {
      try {
        return execFileSync('ssh-keygen', ['-F', token, '-f', file], { encoding: 'utf8' }).includes(token);
      } catch {
        return false;
      }
    };

    it('creates the folder 0700 and the file 0600, and ssh-keygen -F finds the pins', async () => {
      const file = join(dir, 'new', 'cluster', 'known_hosts');
      await pin(file, '10.0.0.5', 22, key('ed25519').blob);
      await pin(file, '10.0.0.5', 2222, key('rsa').blob);
      assert.equal(statSync(join(dir, 'new', 'cluster')).mode & 0o777, 0o700);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.ok(sshKeygenFinds(file, '10.0.0.5'));
      assert.ok(sshKeygenFinds(file, '[10.0.0.5]:2222'));
      assert.ok(!sshKeygenFinds(file, '10.0.0.6'));
      assert.deepEqual(await lookup(file, '10.0.0.5', 22), [key('ed25519').blob]);
      assert.deepEqual(await lookup(file, '10.0.0.5', 2222), [key('rsa').blob]);
      assert.deepEqual(await lookup(file, '10.0.0.6', 22), []);
    });

    it('finds nothing in a missing file', async () => assert.deepEqual(await lookup(join(dir, 'absent', 'known_hosts'), 'h', 22), []));

    it('pinning the same key again changes nothing; another type is added beside it', async () => {
      const file = join(dir, 'again', 'known_hosts');
      await pin(file, 'h', 22, key('ed25519').blob);
      const once = readFileSync(file, 'utf8');
      await pin(file, 'h', 22, key('ed25519').blob);
      assert.equal(readFileSync(file, 'utf8'), once);
      await pin(file, 'h', 22, key('ecdsa').blob);
      assert.equal((await lookup(file, 'h', 22)).length, 2);
    });

    it('keeps comments and other lines; replace drops only the host\'s other keys', async () => {
      const file = join(dir, 'replace', 'known_hosts');
      await pin(file, 'other', 22, key('rsa').blob);
      writeFileSync(file, `# kept\n${readFileSync(file, 'utf8')}`, { mode: 0o600 });
      await pin(file, 'h', 22, key('ed25519').blob);
      await pin(file, 'h', 22, key('ecdsa').blob, { replace: true });
      assert.deepEqual(await lookup(file, 'h', 22), [key('ecdsa').blob]);
      assert.deepEqual(await lookup(file, 'other', 22), [key('rsa').blob]);
      assert.match(readFileSync(file, 'utf8'), /^# kept\n/);
    });

    it('keeps every pin when many hosts are pinned at once', async () => {
      const file = join(dir, 'parallel', 'known_hosts');
      const hosts = Array.from({ length: 20 }, (_, i) => `10.1.0.${i + 2}`);
      await Promise.all(hosts.map((h) => pin(file, h, 22, key('ed25519').blob)));
      for (const h of hosts) assert.equal((await lookup(file, h, 22)).length, 1, h);
      assert.deepEqual(readFileSync(file, 'utf8').trimEnd().split('\n').length, hosts.length);
    });
  });
});
