/** The close code of a logs/tail WebSocket whose follower fell too far behind: it reconnects from what it has. */
export const TOO_SLOW_CLOSE = 4008;
