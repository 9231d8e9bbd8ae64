import type { Hook } from '@oclif/core';
import { useColour } from '../colour.js';
import { renderError } from '../render.js';
import { UsageError } from '../../common/errors.js';
import { suggestCommand } from '../suggest-command.js';

/**
 * An unknown command: the tool's own error/hint, with the command most likely meant and the arguments given
 * (`stauts -c demo` → `raylaunch status -c demo`), never oclif's internal `jobs:list` form. Exit 2.
 */
const hook: Hook<'command_not_found'> = async function (opts) {
  const words = opts.id.split(':');
  // oclif lists every command among its topics too.
  const ids = [...new Set([...opts.config.commandIDs, ...opts.config.topics.map((t) => t.name)])].map((id) => id.replace(/:/g, ' '));
  const s = suggestCommand(words, ids);
  const typed = s ? words.slice(0, words.length - s.rest.length) : words;
  const line = s ? ['raylaunch', s.meant, ...s.rest, ...(opts.argv ?? [])].join(' ') : '';
  const hint = s ? `did you mean ${line}? (raylaunch --help lists every command)` : 'raylaunch --help lists every command';
  process.stderr.write(renderError(new UsageError(`raylaunch has no command "${typed.join(' ')}"`, { hint }), false, useColour(process.stderr)));
  this.exit(2);
};

export default hook;
