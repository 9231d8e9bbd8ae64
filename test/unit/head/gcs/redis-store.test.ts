import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { GcsStoreAuthError, GcsStoreUnreachableError } from '../../../../src/head/gcs/errors.js';
import { openStore } from '../../../../src/head/gcs/open.js';
import { redactRedisUrl, redisSpec } from '../../../../src/head/gcs/redis.js';
import { freePort } from '../../../helpers/free-port.js';
import { type RedisServer, startRedis } from '../../../helpers/redis-server.js';

const SECRET = 's3cret-pa:ss@word';

describe('GCS redis store: login and where the password comes from', function () {
  this.timeout(20_000);
  let redis: RedisServer;
  let dir: string;
  before(async () => {
    redis = await startRedis({ requirepass: SECRET });
    dir = mkdtempSync(join(tmpdir(), 'raylaunch-redis-auth-'));
  });
  after(async () => {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const noEnv = {};
  const cases: { name: string; url: () => string; passwordFile?: string; env?: NodeJS.ProcessEnv }[] = [
    { name: 'in the URL', url: () => redis.url({ password: SECRET }), env: noEnv },
    { name: 'in raylaunch.gcs_storage_password_file', url: () => redis.url(), passwordFile: 'file', env: noEnv },
    { name: 'in RAYLAUNCH_GCS_REDIS_PASSWORD', url: () => redis.url(), env: { RAYLAUNCH_GCS_REDIS_PASSWORD: SECRET } },
    { name: 'in the file, over a wrong one in the URL', url: () => redis.url({ password: 'wrong' }), passwordFile: 'file', env: noEnv },
  ];
  for (const c of cases) {
    it(`a password ${c.name} logs in, and records written are read back after a reopen`, async () => {
      const file = join(dir, 'password');
      writeFileSync(file, `${SECRET}\n`, { mode: 0o600 });
      const o = { clusterName: `auth-${c.name.length}`, stateDir: dir, ...(c.passwordFile ? { passwordFile: file } : {}), ...(c.env ? { env: c.env } : {}) };
      const s = await openStore(c.url(), o);
      await s.table<number>('t').update('k', () => 7);
      await s.close();
      const again = await openStore(c.url(), o);
      assert.equal(again.table<number>('t').get('k'), 7);
      await again.close();
    });
  }

  const refused: { name: string; url: () => string; env: NodeJS.ProcessEnv; names: RegExp }[] = [
    { name: 'a wrong password', url: () => redis.url({ password: 'not-it' }), env: {}, names: /the URL in raylaunch\.gcs_storage/ },
    { name: 'a wrong password from the environment', url: () => redis.url(), env: { RAYLAUNCH_GCS_REDIS_PASSWORD: 'nope' }, names: /RAYLAUNCH_GCS_REDIS_PASSWORD/ },
    { name: 'no password', url: () => redis.url(), env: {}, names: /no password was given/ },
  ];
  for (const c of refused) {
    it(`${c.name} is a GcsStoreAuthError that names the setting and never the password`, async () => {
      const err = await openStore(c.url(), { clusterName: 'x', stateDir: dir, env: c.env }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof GcsStoreAuthError, String(err));
      assert.match(err.message, c.names);
      assert.match(err.hint ?? '', /raylaunch\.gcs_storage_password_file/);
      assert.doesNotMatch(`${err.message} ${err.hint ?? ''}`, /not-it|nope/);
    });
  }

  it('a redis nobody listens on is a GcsStoreUnreachableError naming the redacted URL', async () => {
    const port = await freePort();
    const err = await openStore(`redis://:${encodeURIComponent(SECRET)}@127.0.0.1:${port}/0`, { clusterName: 'x', stateDir: dir, env: {} }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof GcsStoreUnreachableError, String(err));
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.ok(!err.message.includes(SECRET) && !err.message.includes(encodeURIComponent(SECRET)));
  });
});

describe('GCS redis store: the setting', () => {
  const cases: [string, string, Partial<ReturnType<typeof redisSpec>>][] = [
    ['redis://h:6390/2', 'redis://h:6390/2', { host: 'h', port: 6390, db: 2, tls: false, passwordFrom: 'none' }],
    ['rediss://u:pw@h/0', 'rediss://u:<redacted>@h/0', { host: 'h', port: 6379, db: 0, tls: true, username: 'u', password: 'pw', passwordFrom: 'url' }],
    ['redis://:p%40ss@10.0.0.5:7000', 'redis://:<redacted>@10.0.0.5:7000', { port: 7000, db: 0, password: 'p@ss' }],
  ];
  for (const [url, shown, want] of cases) {
    it(`${shown} is read as ${JSON.stringify(want)}`, () => {
      const spec = redisSpec(url, { env: {} });
      assert.equal(spec.url, shown);
      assert.equal(redactRedisUrl(url), shown);
      for (const [k, v] of Object.entries(want)) assert.deepEqual(spec[k as keyof typeof spec], v, k);
    });
  }
});

describe('GCS redis store: a large batch', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.stop());

  it('commits one turn\'s 100,000 writes (a job\'s end deleting its objects), and a reopen reads them back', async () => {
    const o = { clusterName: 'big', stateDir: '/nonexistent' };
    const s = await openStore(redis.url(), o);
    const t = s.table<number>('objects');
    for (let i = 0; i < 100_000; i++) void t.update(`o${i}`, () => i);
    await s.flush();
    await s.close();
    const again = await openStore(redis.url(), o);
    assert.deepEqual([again.table<number>('objects').size, again.table<number>('objects').get('o99999')], [100_000, 99_999]);
    await again.close();
  });
});
