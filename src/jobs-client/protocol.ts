/** The close code of a logs/tail WebSocket whose follower fell too far behind: it reconnects from what it has. */
export const TOO_SLOW_CLOSE = 4008;

/** The header of a 400 to POST /api/jobs/ that names a package the head does not have (it keeps them as a cache). */
export const MISSING_PACKAGE_HEADER = 'raylaunch-missing-package';
