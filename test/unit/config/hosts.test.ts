// Host names and the SSH user go into ssh and rsync argument lists and known_hosts lines: the schema lets
// through only what is an address, a host name or a user name, so `-oProxyCommand=…` or `*` never gets there.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { isNodeAddress } from '../../../src/common/net.js';
import { SCHEMAS } from '../../../src/config/schema.js';
import { brief, errorsOf, valid } from '../../helpers/config.js';

const local = (o: { head?: string; workers?: string[]; external?: string; user?: string; typeHosts?: string[] }) => [
  'provider:',
  '  type: local',
  `  head_ip: ${JSON.stringify(o.head ?? '10.0.0.1')}`,
  `  worker_ips: ${JSON.stringify(o.workers ?? ['10.0.0.2', 'node-3.internal'])}`,
  ...(o.external ? [`  external_head_ip: ${JSON.stringify(o.external)}`] : []),
  `auth: {ssh_user: ${JSON.stringify(o.user ?? 'ubuntu')}}`,
  ...(o.typeHosts ? [
    'head_node_type: head',
    'available_node_types:',
    '  head: {resources: {CPU: 1}}',
    `  w: {resources: {CPU: 1}, node_config: {worker_ips: ${JSON.stringify(o.typeHosts)}}}`,
  ] : []),
  '',
].join('\n');

const NOT_HOSTS = ['-oProxyCommand=touch /tmp/x', '*', 'host?', '!10.0.0.9', 'a,b', '[10.0.0.2]:22', 'a b', 'h\tx', 'node-', '-node', 'a..b', '$(id)'];
const TOO_LONG = Array(5).fill('a'.repeat(60)).join('.');

describe('hosts and the SSH user in the config', () => {
  const FIELDS: [string, (bad: string) => string, string][] = [
    ['provider.head_ip', (bad) => local({ head: bad }), '3:12 provider.head_ip'],
    ['provider.worker_ips items', (bad) => local({ workers: ['10.0.0.2', bad] }), '4:27 provider.worker_ips[1]'],
    ['provider.external_head_ip', (bad) => local({ external: bad }), '5:21 provider.external_head_ip'],
  ];
  for (const [field, yaml, where] of FIELDS) {
    for (const bad of NOT_HOSTS) {
      it(`${field} ${JSON.stringify(bad.slice(0, 30))} is refused: not an IP address or host name`, async () => {
        const errors = await errorsOf(yaml(bad));
        const mine = errors.filter((e) => brief(e).startsWith(where));
        assert.equal(mine.length, 1, errors.map(brief).join('\n'));
        assert.match(mine[0]?.message ?? '', /is not an IP address or host name$/);
        assert.match(mine[0]?.hint ?? '', /no spaces, wildcards or leading "-"/);
      });
    }
  }

  it('a host name longer than 253 characters is refused', async () => {
    const errors = await errorsOf(local({ head: TOO_LONG }));
    assert.deepEqual(errors.map(brief), ['3:12 provider.head_ip: must be at most 253 characters, got 304']);
  });

  it('a node type\'s node_config.worker_ips item that is not a host is refused', async () => {
    const errors = await errorsOf(local({ workers: ['10.0.0.2'], typeHosts: ['10.0.0.2', '*'] }));
    assert.ok(errors.some((e) => brief(e) === '9:66 available_node_types.w.node_config.worker_ips[1]: the string "*" is not an IP address or host name'), errors.map(brief).join('\n'));
  });

  for (const bad of ['-oProxyCommand=x', 'root; id', 'a b', '.hidden', 'x@y', 'a'.repeat(33), '']) {
    it(`auth.ssh_user ${JSON.stringify(bad.slice(0, 20))} is refused`, async () => {
      const errors = await errorsOf(local({ user: bad }));
      assert.ok(errors.some((e) => e.path === 'auth.ssh_user'), errors.map(brief).join('\n'));
    });
  }

  const GOOD: [string, string[], string][] = [
    ['10.0.0.1', ['10.0.0.2', 'fd00::5', 'node-3.internal', 'H4'], 'ubuntu'],
    ['head.example.internal', ['192.168.1.20'], 'svc.deploy'],
    ['fd00::1', [], '_apt'],
  ];
  for (const [head, workers, user] of GOOD) {
    it(`head ${head}, workers [${workers.join(', ')}] and user ${user} are accepted`, async () => {
      await valid(local({ head, workers, user }));
    });
  }

  it('the schemas\' host pattern and isNodeAddress (for addresses from the head) agree', () => {
    const props = SCHEMAS.providers.local.properties;
    const patterns = new Set([props.head_ip.pattern, props.worker_ips.items.pattern, props.external_head_ip.pattern, SCHEMAS.providers.local.definitions.node_config.properties.worker_ips.items.pattern]);
    assert.equal(patterns.size, 1, 'every host field has the same pattern');
    const schema = new RegExp([...patterns][0] ?? '', 'u');
    for (const v of [...NOT_HOSTS, TOO_LONG, '10.0.0.2', 'fd00::5', '::1', 'node-3.internal', 'H4', 'a'.repeat(63), `${'a'.repeat(63)}.b`]) {
      assert.equal(isNodeAddress(v), schema.test(v) && v.length <= 253, v);
    }
  });
});
