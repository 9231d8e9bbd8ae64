// Cloud credentials are the CLI's: the config a node is sent (config.json on every node, the head's live updates,
// the process provider's config.json) never holds them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'mocha';
import { applyDefaults } from '../../../src/config/defaults.js';
import { nodeConfig, PROVIDER_SECRETS } from '../../../src/config/node-config.js';
import { SCHEMAS } from '../../../src/config/schema.js';
import { NodeUpdater } from '../../../src/updater/node-updater.js';
import type { CommandRunner } from '../../../src/updater/runner.js';

const SECRET = 'AKIA-very-secret-value';
const CONFIGS: [string, Record<string, unknown>][] = [
  ['aws_credentials', { type: 'aws', region: 'us-west-2', aws_credentials: { aws_access_key_id: 'AKIA', aws_secret_access_key: SECRET, aws_session_token: SECRET } }],
  ['gcp_credentials', { type: 'gcp', region: 'us-west1', availability_zone: 'us-west1-a', project_id: 'my-project-1', gcp_credentials: { type: 'service_account', credentials: SECRET } }],
];

/** A node with Node.js and nothing of raylaunch yet; keeps every file written to it. */
function node(): CommandRunner & { files: Map<string, string> } {
  const files = new Map<string, string>();
  return {
    host: '10.0.0.9', files,
    run: (cmd) => Promise.resolve({ code: 0, stdout: cmd.includes('echo "node=') ? 'node=v20.19.1\nhash=\nconfhash=\n' : '', stderr: '' }),
    writeFile: (path, content) => { files.set(path, Buffer.from(content).toString()); return Promise.resolve(); },
    forward: () => Promise.reject(new Error('unused')),
    close: () => Promise.resolve(),
  };
}

describe('the config nodes get', () => {
  const emptyDir = mkdtempSync(join(tmpdir(), 'rl-empty-runtime-'));
  after(() => rmSync(emptyDir, { recursive: true, force: true }));

  for (const [key, provider] of CONFIGS) {
    it(`the node updater writes config.json without provider.${key}, keeping the rest`, async () => {
      const config = applyDefaults({ cluster_name: 'n', provider, auth: { ssh_user: 'ubuntu' } });
      const runner = node();
      await new NodeUpdater({
        runner, config, node: { id: 'n1', kind: 'worker', nodeType: config.head_node_type, ip: '10.0.0.9' }, headAddress: '10.0.0.1:6380',
        runtime: { dir: emptyDir, version: '0.0.0', hash: 'abc' }, runtimeHash: 'h', files: { token: 't\n' }, mountSource: (_r, l) => l, attempts: 1,
      }).update();
      const written = runner.files.get('.raylaunch/clusters/n/config.json') ?? '';
      assert.doesNotMatch(written, new RegExp(SECRET));
      const sent = JSON.parse(written) as { provider: Record<string, unknown> };
      assert.equal(sent.provider[key], undefined);
      assert.equal(sent.provider.type, provider.type);
      assert.equal((config.provider as unknown as Record<string, unknown>)[key] !== undefined, true, 'the CLI\'s own copy keeps them');
    });

    it(`nodeConfig drops provider.${key} and nothing else`, () => {
      const config = applyDefaults({ cluster_name: 'n', provider, auth: { ssh_user: 'ubuntu' } });
      const { [key]: _dropped, ...rest } = config.provider as unknown as Record<string, unknown>;
      assert.deepEqual(nodeConfig(config), { ...config, provider: rest });
    });
  }

  it('every key of the schemas named like a secret is inside one of the blocks nodes never get', () => {
    const SECRET_NAME = /(token|password|passwd|secret|credential|private_key_data|api_key|access_key)/i;
    const found: string[] = [];
    const walk = (s: unknown, path: string[]) => {
      if (typeof s !== 'object' || s === null) return;
      const props = (s as { properties?: Record<string, unknown> }).properties ?? {};
      for (const [k, v] of Object.entries(props)) {
        // A key naming a file that holds a secret (raylaunch.gcs_storage_password_file) is a path: not secret.
        if (SECRET_NAME.test(k) && !k.endsWith('_file')) found.push([...path, k].join('.'));
        walk(v, [...path, k]);
      }
    };
    walk(SCHEMAS.cluster, []);
    for (const [type, s] of Object.entries(SCHEMAS.providers)) walk(s, [`provider(${type})`]);
    const outside = found.filter((p) => !PROVIDER_SECRETS.some((k) => p.split('.').includes(k)));
    assert.deepEqual(outside, []);
  });
});
