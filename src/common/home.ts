import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { RaylaunchError } from './errors.js';
import { raylaunchHome } from './paths.js';

/** raylaunch's own folder (RAYLAUNCH_HOME, else ~/.raylaunch) cannot be used. Exit 1. */
export class HomeError extends RaylaunchError {
  override readonly name = 'HomeError';
  readonly code = 'home_unusable';
  readonly exitCode = 1;
}

/**
 * Checks, before a command starts, that raylaunch's folder is a folder this user can write, or can be made: a
 * mistake there otherwise surfaces deep inside a command as an unexplained ENOTDIR or EACCES.
 */
export function checkHome(): void {
  const home = raylaunchHome();
  const named = process.env.RAYLAUNCH_HOME ? `RAYLAUNCH_HOME (${home})` : home;
  const fix = process.env.RAYLAUNCH_HOME ? 'point RAYLAUNCH_HOME at a folder you can write, or unset it to use ~/.raylaunch' : `fix it, or set RAYLAUNCH_HOME to a folder you can write`;
  // The folder itself, or else the nearest ancestor that exists (where it would be made).
  let at = home;
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && dirname(at) !== at) {
        at = dirname(at);
        continue;
      }
      if (code === 'ENOTDIR') throw new HomeError(`${named} is inside a file, not a folder`, { hint: fix });
      throw new HomeError(`${named} cannot be read: ${(e as Error).message}`, { hint: fix });
    }
    if (!isDir) throw new HomeError(at === home ? `${named} is a file, not a folder` : `${named} cannot be made: ${at} is a file`, { hint: fix });
    try {
      accessSync(at, constants.W_OK | constants.X_OK);
    } catch {
      throw new HomeError(at === home ? `${named} is not writable by this user` : `${named} cannot be made: ${at} is not writable by this user`, { hint: fix });
    }
    return;
  }
}
