import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { brief, check, errorsOf } from '../../helpers/config.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import { checkSemantics } from '../../../src/config/validate.js';

const AWS = 'provider: {type: aws, region: us-west-2}\n';
const PROC = 'provider: {type: process}\n';
const LOCAL = 'provider: {type: local, head_ip: h0, worker_ips: [h1, h2]}\nauth: {ssh_user: me}\n';

/** Each case: a config, and every error it must produce (line:col path: message), in file order. */
const ERROR_CASES: { name: string; yaml: string; errors: string[]; hints?: (string | undefined)[] }[] = [
  {
    name: 'a config without provider asks for one',
    yaml: 'cluster_name: demo\n',
    errors: ['1:1 : missing required key "provider"'],
    hints: ['add `provider: {type: process}` to run the cluster as processes on this machine (or use local, aws, gcp)'],
  },
  {
    name: 'a misspelt top-level key suggests the right one',
    yaml: `${PROC}max_worker: 3\n`,
    errors: ['2:1 max_worker: unknown key "max_worker"'],
    hints: ['did you mean "max_workers"?'],
  },
  {
    name: 'a key in the wrong section says where it belongs',
    yaml: `${PROC}resources: {CPU: 2}\n`,
    errors: ['2:1 resources: unknown key "resources"'],
    hints: ['"resources" is a key of available_node_types.<type>'],
  },
  {
    name: 'a misspelt provider key suggests the right one',
    yaml: 'provider: {type: aws, region: us-west-2, availabilty_zone: us-west-2a}\n',
    errors: ['1:42 provider.availabilty_zone: unknown key "availabilty_zone"'],
    hints: ['did you mean "availability_zone"?'],
  },
  {
    name: 'an unknown provider type suggests the closest',
    yaml: 'provider: {type: aws2}\n',
    errors: ['1:18 provider.type: unknown provider type "aws2"'],
    hints: ['did you mean "aws"?'],
  },
  {
    name: 'a Ray provider type raylaunch lacks is an error until supported',
    yaml: 'provider: {type: kubernetes}\n',
    errors: ['1:12 provider.type: provider type "kubernetes" is not supported yet'],
  },
  {
    name: 'aws needs a region',
    yaml: 'provider: {type: aws}\n',
    errors: ['1:1 provider: missing required key "region"'],
  },
  {
    name: 'a negative max_workers names the bound and the value',
    yaml: `${PROC}max_workers: -1\n`,
    errors: ['2:14 max_workers: must be >= 0, got -1'],
  },
  {
    name: 'a fractional max_workers asks for a whole number',
    yaml: `${PROC}max_workers: 2.5\n`,
    errors: ['2:14 max_workers: expected a whole number, got the fraction 2.5'],
    hints: ['use a whole number'],
  },
  {
    name: 'a quoted number is called out',
    yaml: `${PROC}idle_timeout_minutes: "5"\n`,
    errors: ['2:23 idle_timeout_minutes: expected a number, got the string "5"'],
    hints: ['remove the quotes around the number'],
  },
  {
    name: '1e9 is a string in YAML 1.1 and the hint says so',
    yaml: `${PROC}available_node_types:\n  w: {resources: {memory: 1e9}}\n  h: {resources: {}}\nhead_node_type: h\n`,
    errors: ['3:27 available_node_types.w.resources.memory: expected a number, got the string "1e9"'],
  },
  {
    name: 'negative resources are refused',
    yaml: `${PROC}available_node_types:\n  h: {resources: {CPU: -2}}\nhead_node_type: h\n`,
    errors: ['3:24 available_node_types.h.resources.CPU: must be >= 0, got -2'],
  },
  {
    name: 'a command list written as one string shows the list form',
    yaml: `${PROC}setup_commands: pip install x\n`,
    errors: ['2:17 setup_commands: expected a list, got the string "pip install x"'],
    hints: ['write a list: ["pip install x"] or one "- item" per line'],
  },
  {
    name: 'a node type without resources',
    yaml: `${PROC}available_node_types:\n  h: {}\nhead_node_type: h\n`,
    errors: ['3:3 available_node_types.h: missing required key "resources"'],
  },
  {
    name: 'aws node types need node_config',
    yaml: `${AWS}available_node_types:\n  h: {resources: {}}\nhead_node_type: h\n`,
    errors: ['3:3 available_node_types.h: missing required key "node_config"'],
  },
  {
    name: 'a misspelt EC2 parameter suggests the right one',
    yaml: `${AWS}available_node_types:\n  h:\n    resources: {}\n    node_config: {InstanceTyp: m5.large}\nhead_node_type: h\n`,
    errors: ['5:19 available_node_types.h.node_config.InstanceTyp: unknown key "InstanceTyp"'],
    hints: ['did you mean "InstanceType"?'],
  },
  {
    name: 'head_node_type naming no type lists the types and suggests one',
    yaml: `${PROC}available_node_types:\n  head: {resources: {CPU: 1}}\n  worker: {resources: {CPU: 2}}\nhead_node_type: haed\n`,
    errors: ['5:17 head_node_type: head_node_type "haed" is not one of the node types in available_node_types ("head", "worker")'],
    hints: ['did you mean "head"?'],
  },
  {
    name: 'node types without head_node_type (Ray needs it too)',
    yaml: `${PROC}available_node_types:\n  a: {resources: {CPU: 1}}\n  b: {resources: {CPU: 2}}\n`,
    errors: ['2:1 available_node_types: head_node_type is missing: name the node type that runs the head (defined: "a", "b")'],
  },
  {
    name: 'min_workers above max_workers for a type',
    yaml: `${PROC}max_workers: 10\navailable_node_types:\n  h: {resources: {CPU: 1}}\n  w: {resources: {CPU: 2}, min_workers: 3, max_workers: 2}\nhead_node_type: h\n`,
    errors: ['5:41 available_node_types.w.min_workers: min_workers (3) is greater than max_workers (2) for node type "w"'],
  },
  {
    name: 'min_workers adding up past the global max_workers',
    yaml: `${PROC}max_workers: 3\navailable_node_types:\n  h: {resources: {CPU: 1}}\n  a: {resources: {CPU: 2}, min_workers: 2}\n  b: {resources: {CPU: 2}, min_workers: 2}\nhead_node_type: h\n`,
    errors: ["2:14 max_workers: the node types' min_workers add up to 4, more than the global max_workers (3)"],
  },
  {
    name: 'local with more min_workers than hosts',
    yaml: `${LOCAL}max_workers: 5\navailable_node_types:\n  h: {resources: {}}\n  w: {resources: {}, min_workers: 3}\nhead_node_type: h\n`,
    errors: ["4:1 available_node_types: the node types' min_workers add up to 3, but provider.worker_ips lists 2 hosts"],
  },
  {
    name: 'local needs head_ip and worker_ips',
    yaml: 'provider: {type: local}\nauth: {ssh_user: me}\n',
    errors: ['1:1 provider: missing required key "head_ip"', '1:1 provider: missing required key "worker_ips"'],
  },
  {
    name: 'local needs an ssh_user',
    yaml: 'provider: {type: local, head_ip: h0, worker_ips: [h1]}\n',
    errors: ['1:1 : ssh_user is required for the local provider'],
  },
  {
    name: 'the head host cannot also be a worker host',
    yaml: 'provider: {type: local, head_ip: h0, worker_ips: [h1, h0]}\nauth: {ssh_user: me}\n',
    errors: ['1:55 provider.worker_ips[1]: host "h0" is the head (provider.head_ip) and cannot also be a worker'],
  },
  {
    name: 'a public address for a local host is an error (services listen there); private ones and host names are fine',
    yaml: 'provider: {type: local, head_ip: 8.8.4.4, worker_ips: [10.0.0.2, 1.1.1.1, node3]}\nauth: {ssh_user: me}\n',
    errors: [
      '1:34 provider.head_ip: 8.8.4.4 is a public address: raylaunch\'s services listen on each host\'s address, and only on loopback or private networks',
      '1:66 provider.worker_ips[1]: 1.1.1.1 is a public address: raylaunch\'s services listen on each host\'s address, and only on loopback or private networks',
    ],
  },
  {
    name: 'Ray\'s coordinator mode is an error until supported',
    yaml: 'provider: {type: local, head_ip: h0, worker_ips: [h1], coordinator_address: "x:1"}\nauth: {ssh_user: me}\n',
    errors: ['1:56 provider.coordinator_address: Ray\'s coordinator mode is not supported'],
  },
  {
    name: 'a docker image is an error until supported',
    yaml: `${PROC}docker: {image: rayproject/ray, container_name: ray_container}\n`,
    errors: ['2:1 docker: running nodes in Docker containers is not supported yet'],
  },
  {
    name: 'legacy head_node/worker_nodes are errors with the modern form in the hint',
    yaml: `${PROC}head_node: {InstanceType: m5.large}\n`,
    errors: ['2:1 head_node: Ray\'s legacy head_node format is not supported'],
  },
  {
    name: 'file_mounts_sync_continuously: true is an error until supported',
    yaml: `${PROC}file_mounts_sync_continuously: true\n`,
    errors: ['2:1 file_mounts_sync_continuously: true is not supported yet'],
  },
  {
    name: 'gcp cluster names must be lowercase',
    yaml: 'cluster_name: Demo\nprovider: {type: gcp, region: us-west1, availability_zone: us-west1-a, project_id: my-proj-1}\n',
    errors: ['1:15 cluster_name: GCP needs lowercase letters, digits, "-" and "_" only, got "Demo"'],
  },
  {
    name: 'aws zones must lie in the region',
    yaml: 'provider: {type: aws, region: us-west-2, availability_zone: "us-west-2a,us-east-1b"}\n',
    errors: ['1:61 provider.availability_zone: zone us-east-1b is not in region us-west-2'],
  },
  {
    name: 'a cluster_name with spaces',
    yaml: `cluster_name: my cluster\n${PROC}`,
    errors: ['1:15 cluster_name: the string "my cluster" may use only letters, digits, ".", "-" and "_", and must start with a letter or digit'],
  },
  {
    name: 'an unknown raylaunch setting suggests the right one',
    yaml: `${PROC}raylaunch: {heartbeat_timeout: 3}\n`,
    errors: ['2:13 raylaunch.heartbeat_timeout: unknown key "heartbeat_timeout"'],
    hints: ['did you mean "heartbeat_timeout_s"?'],
  },
  {
    name: 'a raylaunch.gcs_storage that is no store is refused, naming the key, without the password it holds',
    yaml: `${PROC}raylaunch: {gcs_storage: "postgres://me:hunter2@db:5432"}\n`,
    errors: ['2:26 raylaunch.gcs_storage: the string "postgres://me:<redacted>@db:5432" is not a GCS store'],
    hints: ['sqlite (the default), memory, or redis://[user:password@]host:port/db (rediss:// for TLS)'],
  },
  {
    name: 'a key with no value',
    yaml: `${PROC}max_workers:\n`,
    errors: ['2:13 max_workers: expected a whole number, got nothing (an empty value)'],
    hints: ['the key has no value: give it one, or remove the key'],
  },
  {
    name: 'a GCP TPU node is an error until supported',
    yaml: 'provider: {type: gcp, region: us-central2, availability_zone: us-central2-b, project_id: my-proj-1}\navailable_node_types:\n  tpu: {resources: {TPU: 4}, node_config: {acceleratorType: v4-16, runtimeVersion: tpu-vm-v4-base}}\nhead_node_type: tpu\n',
    errors: ['3:44 available_node_types.tpu.node_config.acceleratorType: TPU nodes are not supported yet', '3:68 available_node_types.tpu.node_config.runtimeVersion: TPU nodes are not supported yet'],
  },
  {
    name: 'raylaunch.worker_user where the agents would not run as root is refused, naming the key and what to do',
    yaml: `${LOCAL}raylaunch: {worker_user: nobody}\n`,
    errors: ['3:26 raylaunch.worker_user: worker_user "nobody" needs raylaunch\'s agents to run as root, but they run as me'],
    hints: ['set auth.ssh_user: root, or remove worker_user'],
  },
  {
    name: 'every problem is reported at once',
    yaml: `${AWS}max_worker: 3\nupscaling_speed: -1\navailable_node_types:\n  h: {resources: {CPU: 1}, node_config: {}}\nhead_node_type: hh\n`,
    errors: [
      '2:1 max_worker: unknown key "max_worker"',
      '3:18 upscaling_speed: must be >= 0, got -1',
      '6:17 head_node_type: head_node_type "hh" is not one of the node types in available_node_types ("h")',
    ],
  },
];

describe('config validation', () => {
  for (const c of ERROR_CASES) {
    it(c.name, async () => {
      const errors = await errorsOf(c.yaml);
      assert.deepEqual(errors.map(brief), c.errors);
      if (c.hints) assert.deepEqual(errors.map((e) => e.hint), c.hints);
      for (const e of errors) assert.ok(e.hint, `every error says what to do: ${brief(e)}`);
    });
  }

  const WARNING_CASES: { name: string; yaml: string; warnings: string[] }[] = [
    { name: 'an empty docker block is ignored with a warning', yaml: `${PROC}docker: {}\n`, warnings: ['2:1 docker: docker block without an image is ignored'] },
    {
      name: 'an empty container_name disables docker with a warning',
      yaml: `${PROC}docker: {image: x, container_name: ""}\n`,
      warnings: ['2:1 docker: docker is disabled by an empty container_name; the block is ignored'],
    },
    { name: 'metadata is accepted and not interpreted', yaml: `${PROC}metadata: {team: ml}\n`, warnings: ['2:1 metadata: not interpreted by raylaunch'] },
    { name: 'no_restart is accepted and ignored', yaml: `${PROC}no_restart: true\n`, warnings: ['2:1 no_restart: ignored: internal to Ray\'s `ray up --no-restart`'] },
    {
      name: 'ray start/stop lines are replaced; other lines are kept',
      yaml: `${PROC}head_start_ray_commands:\n  - ray stop\n  - ulimit -n 65536; ray start --head\n  - echo started\n`,
      warnings: [
        "3:5 head_start_ray_commands[0]: `ray start`/`ray stop` is replaced by raylaunch's head service; the other lines run as written",
        "4:5 head_start_ray_commands[1]: `ray start`/`ray stop` is replaced by raylaunch's head service; the other lines run as written",
      ],
    },
    {
      name: 'a provider key of another cloud is ignored with a warning',
      yaml: 'provider: {type: process, region: us-west-2}\n',
      warnings: ['1:27 provider.region: ignored: applies to aws and gcp only, not to process'],
    },
    { name: 'an Azure key on aws is ignored', yaml: 'provider: {type: aws, region: us-west-2, resource_group: rg}\n', warnings: ['1:42 provider.resource_group: ignored: an Azure key'] },
    { name: 'a legacy top-level min_workers is ignored outside local', yaml: `${PROC}min_workers: 1\n`, warnings: ['2:1 min_workers: a legacy top-level key, ignored by the process provider'] },
    {
      name: 'gcp_credentials in the file warn: the CLI uses them, no node gets them',
      yaml: 'provider: {type: gcp, region: us-west1, availability_zone: us-west1-a, project_id: my-project-1, gcp_credentials: {type: credentials_token, credentials: t}}\n',
      warnings: ['1:98 provider.gcp_credentials: Google credentials in a config file: used by this machine\'s CLI only (the head uses its own service account), never copied to a node'],
    },
    { name: 'cache_stopped_nodes on gcp is supported: no warning', yaml: 'provider: {type: gcp, region: us-west1, availability_zone: us-west1-a, project_id: my-project-1, cache_stopped_nodes: true}\n', warnings: [] },
    { name: 'a gcp project_id left null warns in validate', yaml: 'provider: {type: gcp, region: us-west1, availability_zone: us-west1-a, project_id: null}\n', warnings: ['1:84 provider.project_id: not set; `raylaunch up` needs it'] },
    {
      name: 'a missing ssh key is a warning in validate',
      yaml: 'provider: {type: local, head_ip: h0, worker_ips: [h1]}\nauth: {ssh_user: me, ssh_private_key: keys/none.pem}\n',
      warnings: ['2:39 auth.ssh_private_key: the key file /nonexistent-dir/keys/none.pem does not exist on this machine (`up` will need it)'],
    },
  ];
  for (const c of WARNING_CASES) {
    it(c.name, async () => {
      const r = await check(c.yaml);
      assert.ok(r.ok, r.ok ? '' : r.problems.map(brief).join('\n'));
      assert.deepEqual(r.loaded.warnings.map(brief), c.warnings);
      assert.ok(r.loaded.warnings.every((w) => w.severity === 'warning'));
    });
  }
});

describe('raylaunch.worker_user: only where the agents run as root', () => {
  const PROCESS_AS: [string, number | undefined, RegExp | undefined][] = [
    ['a process cluster run as root takes it', 0, undefined],
    ['a process cluster run as another user refuses it, saying to run as root or remove the key', 1000, /^worker_user "nobody" needs raylaunch's agents to run as root, but they run as uid 1000 \(run raylaunch as root, or remove worker_user\)$/],
    ['a process cluster whose user is unknown refuses it', undefined, /but they run as uid \?/],
  ];
  for (const [title, uid, want] of PROCESS_AS) {
    it(title, () => {
      const c = applyDefaults({ provider: { type: 'process' }, raylaunch: { worker_user: 'nobody' } });
      const problems = checkSemantics(c, {}, uid === undefined ? {} : { uid }).filter((p) => p.path.join('.') === 'raylaunch.worker_user');
      if (!want) return assert.deepEqual(problems, []);
      assert.equal(problems.length, 1);
      assert.match(`${problems[0]?.message} (${problems[0]?.hint})`, want);
    });
  }
});
