import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { refuseMetadataAddress } from '../../fakes/shared/server.js';

describe('a fake cloud never binds a metadata address, of either cloud', () => {
  const cases: [string, boolean][] = [
    ['169.254.169.254', false], ['fd00:ec2::254', false], ['FD20:CE::254', false], ['metadata.google.internal', false], ['metadata', false],
    ['127.0.0.1', true], ['10.200.0.1', true], ['::1', true], ['metadata.example.com', true],
  ];
  for (const [host, allowed] of cases) {
    it(`${host} is ${allowed ? 'allowed' : 'refused'}`, () => {
      if (allowed) assert.equal(refuseMetadataAddress(host, 'fake X'), host);
      else assert.throws(() => refuseMetadataAddress(host, 'fake X'), /the fake X never binds a metadata address/);
    });
  }
});
