import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { controlPortFile, ControlPortTakenError, keptPort, listenKept } from '../../../src/head/control-port.js';
import type { Listener } from '../../../src/head/control-plane.js';
import { freePort } from '../../helpers/free-port.js';

/** Closes a listener that was bound but never taken by a control plane. */
async function close(l: Listener): Promise<void> {
  const s = l.take();
  s.close();
  await once(s, 'close');
}

describe('the head keeps its control-plane port across restarts (listenKept)', () => {
  let dir = '';
  const blockers: Server[] = [];
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'rl-port-')); });
  afterEach(async () => {
    for (const b of blockers.splice(0)) { b.close(); await once(b, 'close'); }
    rmSync(dir, { recursive: true, force: true });
  });
  const occupy = async (port = 0): Promise<number> => {
    const s = createServer().listen(port, '127.0.0.1');
    await once(s, 'listening');
    blockers.push(s);
    return (s.address() as AddressInfo).port;
  };

  it('port 0: the first start picks a free port and keeps it (0600); every later start listens on the same one', async () => {
    const first = await listenKept('127.0.0.1', 0, dir);
    assert.equal(keptPort(dir), first.port);
    assert.equal(statSync(controlPortFile(dir)).mode & 0o777, 0o600);
    await close(first);
    for (let i = 0; i < 2; i++) {
      const again = await listenKept('127.0.0.1', 0, dir);
      assert.equal(again.port, first.port);
      await close(again);
    }
  });

  it('a configured port is used as configured, and nothing is kept for it', async () => {
    const port = await freePort();
    const l = await listenKept('127.0.0.1', port, dir);
    assert.equal(l.port, port);
    assert.equal(keptPort(dir), undefined);
    await close(l);
  });

  it('a kept port now taken by someone else is a ControlPortTakenError naming the address, and the kept port stays', async () => {
    const port = await occupy();
    writeFileSync(controlPortFile(dir), `${port}\n`);
    await assert.rejects(listenKept('127.0.0.1', 0, dir), (e: unknown) => e instanceof ControlPortTakenError && e.kept
      && e.message.includes(`127.0.0.1:${port}`) && /taken by another process/.test(e.message));
    assert.equal(readFileSync(controlPortFile(dir), 'utf8').trim(), String(port), 'a later start tries the same address again');
  });

  it('a configured port that is taken is a ControlPortTakenError that names the config key', async () => {
    const port = await occupy();
    await assert.rejects(listenKept('127.0.0.1', port, dir), (e: unknown) => e instanceof ControlPortTakenError && !e.kept && /raylaunch.control_plane_port/.test(e.message));
  });

  for (const junk of ['', 'abc', '0', '70000', '-5']) {
    it(`a kept file holding ${JSON.stringify(junk)} is no port: a free one is chosen and kept`, async () => {
      writeFileSync(controlPortFile(dir), junk);
      const l = await listenKept('127.0.0.1', 0, dir);
      assert.ok(l.port > 0);
      assert.equal(keptPort(dir), l.port);
      await close(l);
    });
  }
});
