// Writes oclif.manifest.json (run by `npm run build`, after tsc): the list of commands with their flags, so that
// running one command loads that command's module alone rather than all of them to learn their names, which
// cost every CLI call about 350 ms. bin/run.js drops a manifest older than the compiled commands.
import { rmSync, writeFileSync } from 'node:fs';
import { URL } from 'node:url';
import { Config } from '@oclif/core';

const root = new URL('..', import.meta.url).pathname;
// oclif would read the old manifest back rather than the commands as they are now.
rmSync(new URL('../oclif.manifest.json', import.meta.url), { force: true });
const config = await Config.load({ root });
const plugin = config.getPluginsList().find((p) => p.root === config.root);
if (!plugin) throw new Error(`no oclif plugin at ${root}`);
writeFileSync(new URL('../oclif.manifest.json', import.meta.url), `${JSON.stringify(plugin.manifest)}\n`);
console.log(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`);
