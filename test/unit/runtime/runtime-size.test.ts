import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'mocha';
import protobuf from 'protobufjs';
import { clientService, type ProtoNode, pruneToService } from '../../../src/runtime/compute-protos.js';
import { withoutDependencyMaps } from '../../../src/runtime/source-maps.js';

const require = createRequire(import.meta.url);
const PROTOS = require.resolve('@google-cloud/compute/build/protos/protos.json');
/** The clients providers/gcp/sdk.ts loads. */
const CLIENTS = ['instances', 'zone_operations', 'global_operations', 'firewalls', 'images', 'machine_types', 'projects', 'regions'];

describe('compute protos pruned to a client\'s service', () => {
  const full = JSON.parse(readFileSync(PROTOS, 'utf8')) as ProtoNode;
  const fullBytes = JSON.stringify(full).length;

  for (const client of CLIENTS) {
    it(`${client}_client: its service and every type its methods reach resolve, in a small part of protos.json`, () => {
      const service = clientService(readFileSync(require.resolve(`@google-cloud/compute/build/src/v1/${client}_client.js`), 'utf8'));
      assert.ok(service?.startsWith('google.cloud.compute.v1.'), `${client} looks up ${service}`);
      if (!service) return;
      const pruned = pruneToService(full, service);
      const root = protobuf.Root.fromJSON(pruned);
      root.resolveAll(); // throws "no such type" for a message left out
      const svc = root.lookupService(service);
      assert.ok(Object.keys(svc.methods).length > 0);
      for (const m of Object.values(svc.methods)) assert.ok(m.resolvedRequestType && m.resolvedResponseType, m.name);
      assert.ok(JSON.stringify(pruned).length < fullBytes / 20, 'a twentieth of the file at most');
    });
  }

  it('the other API versions and the other services are left out', () => {
    const pruned = pruneToService(full, 'google.cloud.compute.v1.Firewalls');
    const compute = pruned.nested?.google?.nested?.cloud?.nested?.compute;
    assert.deepEqual(Object.keys(compute?.nested ?? {}), ['v1']);
    const v1 = compute?.nested?.v1?.nested ?? {};
    assert.ok(v1.Firewall && v1.Operation && v1.InsertFirewallRequest);
    assert.equal(v1.Instances, undefined);
    assert.equal(v1.Instance, undefined);
    assert.ok(pruned.nested?.google?.nested?.protobuf, 'google.protobuf is kept whole');
  });

  it('a service missing from the JSON fails the build rather than a node at run time', () => {
    assert.throws(() => pruneToService(full, 'google.cloud.compute.v1.NoSuchService'), /no service google\.cloud\.compute\.v1\.NoSuchService/);
  });
});

describe('runtime source maps', () => {
  const file = (s: string): Uint8Array => Buffer.from(s);
  const text = (files: Map<string, Uint8Array>, name: string): string | undefined => {
    const c = files.get(name);
    return c && Buffer.from(c).toString('utf8');
  };
  const map = (sources: string[]): Uint8Array => file(JSON.stringify({ version: 3, sources, mappings: '' }));
  const CASES: { name: string; sources: string[]; kept: boolean }[] = [
    { name: 'a chunk of dependencies only loses its map and its link to it', sources: ['../../node_modules/ssh2/lib/client.js', '../../node_modules/ws/index.js'], kept: false },
    { name: 'a plugin\'s module over a dependency counts as the dependency', sources: ['commonjs-interop:node_modules/@aws-sdk/client-ec2/dist-cjs/index.js', '../../node_modules/@smithy/core/x.js'], kept: false },
    { name: 'a chunk with one of raylaunch\'s files keeps its map', sources: ['../../node_modules/ws/index.js', '../../src/head/main.ts'], kept: true },
    { name: 'a chunk of raylaunch\'s files keeps its map', sources: ['../../src/worker/main.ts'], kept: true },
  ];
  for (const c of CASES) {
    it(c.name, () => {
      const code = 'export const x = 1;\n//# sourceMappingURL=chunk-A.js.map\n';
      const out = withoutDependencyMaps(new Map([['chunk-A.js', file(code)], ['chunk-A.js.map', map(c.sources)], ['head.js', file('x\n//# sourceMappingURL=head.js.map\n')]]));
      assert.equal(out.has('chunk-A.js.map'), c.kept);
      assert.equal(text(out, 'chunk-A.js'), c.kept ? code : 'export const x = 1;\n');
      assert.equal(text(out, 'head.js'), 'x\n//# sourceMappingURL=head.js.map\n', 'another file is left alone');
    });
  }
});
