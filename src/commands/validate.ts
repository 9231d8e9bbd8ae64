import { Args } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { formatValidate, formatWarnings, validateResult, type ValidateResult } from '../cli/validate-result.js';
import { loadConfig } from '../config/load.js';
import { useColour } from '../cli/colour.js';

export default class Validate extends BaseCommand {
  static override needsHome = false;
  static override summary = 'Check a cluster config without touching any cloud or host.';
  static override description = `Reads CONFIG as Ray's cluster YAML (YAML 1.1, as PyYAML reads it), checks it against \
schemas/cluster.schema.json and the provider's section schema, applies the provider's defaults, and prints a \
summary with the launch hash of each node type and the runtime hash.

Every problem is found at once; the first 50 in file order are printed with their file, line, column and YAML \
path, and a hint where one exists, and the rest are counted. A config file may hold at most 1 MiB. \
Files the config refers to (file_mounts sources, SSH keys) are only warned about here: validate works offline; \
\`raylaunch up\` needs them.

Exit codes: 0 valid (warnings may be printed), 1 invalid config, 2 usage error.`;

  static override examples = [
    { description: 'Check the embedded example cluster.', command: '<%= config.bin %> <%= command.id %> example-configs/process.yaml' },
    { description: 'Print the resolved config (secrets redacted) for tooling.', command: '<%= config.bin %> <%= command.id %> cluster.yaml --json' },
  ];

  static override args = {
    config: Args.string({ ignoreStdin: true, description: 'Path of the cluster config YAML.', required: true }),
  };

  static override enableJsonFlag = true;

  async run(): Promise<ValidateResult> {
    const { args } = await this.parse(Validate);
    const loaded = await loadConfig(args.config, { missingFiles: 'warning' });
    const result = validateResult(loaded);
    if (!this.jsonEnabled()) {
      if (result.warnings.length > 0) process.stderr.write(`${formatWarnings(result, useColour(process.stderr))}\n`);
      this.log(formatValidate(result));
    }
    return result;
  }
}
