import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { aliasBomb, bytesOfMetadata, unknownTopLevelKeys } from '../../helpers/big-configs.js';
import { assertOutput } from '../../helpers/output-schemas.js';
import { REPO, runCli } from '../../helpers/run-cli.js';

const INVALID = join(REPO, 'test/fixtures/invalid');
const VALID = join(REPO, 'test/fixtures/valid');
const EXAMPLES = join(REPO, 'example-configs');
const RAY_CONFIGS = join(REPO, '../shared/reference/ray-configs');
const update = process.env.UPDATE_FIXTURES === '1';

// validate.schema.json refers to error.schema.json for its error shape: the helper loads every output schema.
const assertShape = (json: unknown) => assertOutput('validate', json);
const noStack = (s: string) => assert.doesNotMatch(s, /^\s+at /m, 'no stack trace for a user mistake');

describe('raylaunch validate (the built CLI)', () => {
  describe('invalid configs: exact message, exit 1, no stack trace', () => {
    for (const file of readdirSync(INVALID).filter((f) => f.endsWith('.yaml')).sort()) {
      it(file.replace(/\.yaml$/, '').replace(/-/g, ' '), async () => {
        const r = await runCli(['validate', file], { cwd: INVALID });
        const expectedFile = join(INVALID, file.replace(/\.yaml$/, '.stderr'));
        if (update) writeFileSync(expectedFile, r.stderr);
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.stdout, '');
        assert.equal(r.stderr, readFileSync(expectedFile, 'utf8'));
        noStack(r.stderr);
      });
    }
  });

  describe('valid configs exit 0 with a summary', () => {
    const files = [
      ...readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).map((f) => join(EXAMPLES, f)),
      ...readdirSync(VALID).filter((f) => f.endsWith('.yaml')).map((f) => join(VALID, f)),
    ];
    for (const file of files) {
      it(file.slice(REPO.length), async () => {
        const r = await runCli(['validate', file]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /: valid/);
        noStack(r.stderr);
        const json = await runCli(['validate', file, '--json']);
        assert.equal(json.code, 0);
        const parsed = JSON.parse(json.stdout) as { ok: boolean; warnings: unknown[] };
        assertShape(parsed);
        assert.equal(parsed.ok, true);
      });
    }
  });

  // Ray's own example files are reference data beside the repository, not in it: where they are, they are checked
  // as they are; the shapes they stand for are covered everywhere by fixtures/valid/ray-style-*.yaml and
  // fixtures/invalid/docker-image.yaml.
  if (existsSync(RAY_CONFIGS)) {
    it('Ray\'s own minimal examples validate unchanged', async () => {
      for (const f of ['aws-example-minimal.yaml', 'gcp-example-minimal.yaml', 'aws-defaults.yaml', 'gcp-defaults.yaml']) {
        const r = await runCli(['validate', join(RAY_CONFIGS, f)]);
        assert.equal(r.code, 0, `${f}: ${r.stderr}`);
      }
    });

    it('Ray\'s docker examples stop at the docker block, saying it is not supported yet', async () => {
      const r = await runCli(['validate', join(RAY_CONFIGS, 'aws-example-full.yaml')]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /:17:1: error: docker: running nodes in Docker containers is not supported yet/);
    });
  }

  it('prints the Ray start-command warnings on stderr and the summary on stdout', async () => {
    const r = await runCli(['validate', join(VALID, 'aws-gpu-spot.yaml')]);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /head_start_ray_commands\[1\]: `ray start`\/`ray stop` is replaced by raylaunch's head service/);
    assert.doesNotMatch(r.stdout, /warning:/);
    assert.match(r.stdout, /gpu_spot\s+0\s+4\s+CPU 8, GPU 1, accelerator_type:T4 1\s+[0-9a-f]{16}/);
  });

  it('--json reports the resolved config with secrets redacted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raylaunch-validate-'));
    try {
      const file = join(dir, 'secret.yaml');
      writeFileSync(file, [
        'provider:',
        '  type: aws',
        '  region: us-west-2',
        '  aws_credentials: {aws_access_key_id: AKIAEXAMPLEKEY, aws_secret_access_key: very-secret-value}',
        'metadata: {deploy_token: tok-123}',
        'setup_commands: [echo a]',
        'head_start_ray_commands: [ray stop, echo up]',
        '',
      ].join('\n'));
      const r = await runCli(['validate', file, '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout + r.stderr, /very-secret-value|AKIAEXAMPLEKEY|tok-123/);
      const parsed = JSON.parse(r.stdout) as { config: { provider: Record<string, unknown>; head_setup_commands: string[]; head_start_ray_commands: string[] } };
      assertShape(parsed);
      assert.equal(parsed.config.provider.aws_credentials, '<redacted>');
      assert.equal(parsed.config.provider.cache_stopped_nodes, false);
      assert.deepEqual(parsed.config.head_setup_commands, ['echo a']);
      assert.deepEqual(parsed.config.head_start_ray_commands, ['echo up']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--json on an invalid config prints the problems in the error shape and exits 1', async () => {
    const r = await runCli(['validate', 'typo-top-level-key.yaml', '--json'], { cwd: INVALID });
    assert.equal(r.code, 1);
    const parsed = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; problems: { path: string; hint?: string }[] } };
    assertShape(parsed);
    assert.equal(parsed.error.code, 'config_invalid');
    assert.deepEqual(parsed.error.problems.map((p) => [p.path, p.hint]), [
      ['max_worker', 'did you mean "max_workers"?'],
      ['idle_timout_minutes', 'did you mean "idle_timeout_minutes"?'],
    ]);
  });

  describe('large files: bounded time and output', () => {
    let dir = '';
    before(() => { dir = mkdtempSync(join(tmpdir(), 'raylaunch-validate-big-')); });
    after(() => rmSync(dir, { recursive: true, force: true }));
    const write = (name: string, text: string) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    };

    it('a config over 1 MiB is refused, naming the file, its size and the limit, before it is parsed', async () => {
      const file = write('big.yaml', `${bytesOfMetadata(2 * 1024 * 1024).text}: not: yaml: [\n`);
      const r = await runCli(['validate', file]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr, `error: config file ${file} is 2.0 MiB: more than the 1 MiB raylaunch reads as a cluster config\n`
        + `hint: check that ${file} is the config you meant; keep large data out of it (file_mounts can copy files to the nodes)\n`);
      const json = await runCli(['validate', file, '--json']);
      const parsed = JSON.parse(json.stdout) as { error: { code: string } };
      assertShape(parsed);
      assert.equal(parsed.error.code, 'config_too_large');
    });

    it('20,000 unknown keys: the first 50 problems, then how many more', async () => {
      const file = write('unknown.yaml', unknownTopLevelKeys(20_000).text);
      const r = await runCli(['validate', file]);
      assert.equal(r.code, 1);
      const problems = r.stderr.split('\n').filter((l) => l.startsWith(`${file}:`));
      assert.equal(problems.length, 50);
      assert.equal(problems[0], `${file}:3:1: error: unknown_key_0: unknown key "unknown_key_0"`);
      assert.equal(problems[49], `${file}:52:1: error: unknown_key_49: unknown key "unknown_key_49"`);
      assert.match(r.stderr, /\n… and 19950 more problems \(the first 50 are shown\)\nerror: .*: 20000 problems in the cluster config\n$/);
    });

    it('--json lists the first 50 problems and says how many there are in all', async () => {
      const file = write('unknown.yaml', unknownTopLevelKeys(20_000).text);
      const r = await runCli(['validate', file, '--json']);
      assert.equal(r.code, 1);
      const parsed = JSON.parse(r.stdout) as { error: { problems: unknown[]; problem_count: number } };
      assertShape(parsed);
      assert.equal(parsed.error.problems.length, 50);
      assert.equal(parsed.error.problem_count, 20_000);
    });

    it('the alias bomb is a config error naming the file and what to do, not a bug', async () => {
      const file = write('bomb.yaml', aliasBomb().text);
      const r = await runCli(['validate', file]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, [
        `${file}:9:10: error: the aliases (*name) in this file expand to more than 100,000 values`,
        '      8 |   e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
        '    > 9 |   f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
        '        |          ^',
        '    hint: write the repeated parts out, or alias fewer or smaller parts: a cluster config needs a few aliases at most',
        `error: ${file}: 1 problem in the cluster config`,
        '',
      ].join('\n'));
    });

    it('60 warnings: the first 50 on stderr, then how many more; --json has them all counted', async () => {
      const file = write('warnings.yaml', `provider: {type: process}\nhead_start_ray_commands:\n${'  - ray start --head\n'.repeat(60)}`);
      const r = await runCli(['validate', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr.split('\n').filter((l) => l.startsWith(`${file}:`)).length, 50);
      assert.match(r.stderr, /\n… and 10 more warnings \(the first 50 are shown\)\n$/);
      assert.match(r.stdout, /: valid \(60 warnings\)/);
      const json = await runCli(['validate', file, '--json']);
      const parsed = JSON.parse(json.stdout) as { warnings: unknown[]; warning_count: number };
      assertShape(parsed);
      assert.equal(parsed.warnings.length, 50);
      assert.equal(parsed.warning_count, 60);
    });
  });

  const USAGE: [string, string[], number, RegExp][] = [
    ['a missing CONFIG argument is a usage error', ['validate'], 2, /^error: Missing 1 required arg:/],
    ['an unknown flag is a usage error', ['validate', 'x.yaml', '--nope'], 2, /^error: Nonexistent flag: --nope/],
    ['a config file that does not exist', ['validate', 'nowhere.yaml'], 1, /^error: config file nowhere.yaml does not exist\nhint: check the path/],
    ['a directory instead of a file', ['validate', 'example-configs'], 1, /^error: example-configs is a directory, not a cluster config file/],
  ];
  for (const [name, args, code, pattern] of USAGE) {
    it(name, async () => {
      const r = await runCli(args);
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, pattern);
      noStack(r.stderr);
    });
  }

  it('--debug shows the stack trace', async () => {
    const r = await runCli(['validate', 'nowhere.yaml', '--debug']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^\s+at /m);
  });

  it('help lists only working commands, each with its own help', async () => {
    const top = await runCli(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /validate\s+Check a cluster config/);
    assert.doesNotMatch(top.stdout + top.stderr, /not implemented/i);
    const own = await runCli(['validate', '--help']);
    assert.match(own.stdout, /USAGE\n\s+\$ raylaunch validate CONFIG/);
    assert.match(own.stdout, /Exit codes: 0 valid/);
  });
});
