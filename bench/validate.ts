// bench/validate.ts — `validate` on generated large configs (test/helpers/big-configs.ts): the time to load a config
// (read from memory, parse, check, locate, default) and to render what the CLI prints, with how many problems were
// found and shown and how many bytes of output they make. Run: npx tsx bench/validate.ts [name filter …]
import { renderError } from '../src/cli/render.js';
import { loadConfigText } from '../src/config/load.js';
import { ConfigError } from '../src/config/problems.js';
import {
  aliasBomb, aliasesInAnchors, anchorsAndAliases, type BigConfig, bytesOfMetadata, duplicateKeys, manyWorkerHosts, metadataKeys,
  typoTopLevelKeys, unknownTopLevelKeys,
} from '../test/helpers/big-configs.js';

const CASES: BigConfig[] = [
  unknownTopLevelKeys(5_000), unknownTopLevelKeys(20_000), typoTopLevelKeys(20_000), unknownTopLevelKeys(100_000),
  metadataKeys(20_000), duplicateKeys(5_000), anchorsAndAliases(30_000), aliasesInAnchors(380_000), aliasBomb(),
  manyWorkerHosts(20_000),
  bytesOfMetadata(2 * 1024 * 1024), bytesOfMetadata(20 * 1024 * 1024),
];

const filters = process.argv.slice(2);
const chosen = filters.length === 0 ? CASES : CASES.filter((c) => filters.some((f) => c.name.includes(f)));

console.log('\n| config | size | load + render ms | outcome | problems shown | output bytes |');
console.log('|---|---:|---:|---|---:|---:|');
for (const c of chosen) {
  const t0 = performance.now();
  let outcome: string;
  let shown = 0;
  let output = '';
  try {
    const loaded = await loadConfigText(c.text, 'bench.yaml', { missingFiles: 'warning', cwd: '/nonexistent-dir' });
    outcome = `valid, ${loaded.warnings.length} warnings`;
  } catch (e) {
    output = renderError(e, false);
    if (e instanceof ConfigError) shown = e.problems.length;
    const code = (e as { code?: string }).code ?? 'crash';
    outcome = `${code}: ${(e as Error).message.replace(/\|/g, '\\|').slice(0, 90)}`;
  }
  const ms = performance.now() - t0;
  const size = c.text.length >= 1024 * 1024 ? `${(c.text.length / 1024 / 1024).toFixed(1)} MiB` : `${Math.round(c.text.length / 1024)} KiB`;
  console.log(`| ${c.name} | ${size} | ${ms.toFixed(0)} | ${outcome} | ${shown} | ${output.length} |`);
}
console.log(`\nNode ${process.version}; one run per case, in one process (the first case pays for compiling the schemas).`);
