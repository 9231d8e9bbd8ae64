// submit --env: names that change how Node.js itself runs the job's processes need --allow-node-env.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { parseEnv } from '../../../src/commands/submit.js';
import { UsageError } from '../../../src/common/errors.js';

describe('--env names that change how Node.js runs', () => {
  const REFUSED: [string, RegExp][] = [
    ['NODE_OPTIONS=--require /tmp/x.js', /--require and --import run code before raylaunch's runtime/],
    ['NODE_OPTIONS=--inspect=0.0.0.0:9229', /--inspect opens a debugger port/],
    ['NODE_PATH=/tmp/mods', /changes where modules are found/],
    ['NODE_REPL_EXTERNAL_MODULE=/tmp/x.js', /loads a module in place of the REPL/],
    ['NODE_V8_COVERAGE=/tmp/cov', /write coverage files/],
    ['NODE_EXTRA_CA_CERTS=/tmp/ca.pem', /trust more certificate authorities/],
    ['NODE_TLS_REJECT_UNAUTHORIZED=0', /TLS certificate checks off/],
    ['NODE_PRESERVE_SYMLINKS=1', /how modules resolve/],
    ['NODE_CHANNEL_FD=3', /IPC channel/],
    ['OPENSSL_CONF=/tmp/openssl.cnf', /engines/],
    ['LD_PRELOAD=/tmp/x.so', /shared libraries/],
  ];
  for (const [pair, why] of REFUSED) {
    const name = pair.slice(0, pair.indexOf('='));
    it(`${name} is refused without --allow-node-env, saying why`, () => {
      assert.throws(() => parseEnv(['A=1', pair]), (e: unknown) => {
        assert.ok(e instanceof UsageError);
        assert.match(e.message, new RegExp(`^--env ${name} changes how Node\\.js runs the job: it `));
        assert.match(e.message, why);
        assert.equal(e.hint, 'pass --allow-node-env if that is what you mean');
        return true;
      });
    });
    it(`${name} is passed on with --allow-node-env`, () => {
      assert.deepEqual(parseEnv([pair], { allowNodeEnv: true }), { [name]: pair.slice(name.length + 1) });
    });
  }

  for (const pair of ['NODE_ENV=production', 'NODE_DEBUG=http', 'NODE_NO_WARNINGS=1', 'UV_THREADPOOL_SIZE=8', 'LD_LIBRARY_PATH=/usr/local/cuda/lib64', 'NODE_OPTIONS_FOR_MY_APP=x', 'toString=1', 'constructor=1']) {
    it(`${pair.slice(0, pair.indexOf('='))} is the job's own and passes`, () => {
      const name = pair.slice(0, pair.indexOf('='));
      assert.deepEqual(parseEnv([pair]), { [name]: pair.slice(name.length + 1) });
    });
  }
});
