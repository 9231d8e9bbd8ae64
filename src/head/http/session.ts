import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Clock } from '../../common/clock.js';
import type { Authenticator } from './router.js';

/**
 * Dashboard sessions: the operator's CLI asks (with its credential) for a one-time login code bound to the local
 * address the browser will use; the browser trades the code for a session cookie. The operator's credential never
 * reaches the browser, a URL or its history; what does (the code) is single use and dies within a minute.
 */

export const LOGIN_CODE_TTL_MS = 60_000;
/** A session lasts a working day; `raylaunch dashboard` again makes a new one. */
export const SESSION_TTL_MS = 12 * 3600_000;
// Bounded, since every login adds one: the oldest go first.
const MAX_CODES = 16;
const MAX_SESSIONS = 64;

interface Pending { host: string; expiresAt: number }
interface Session { id: string; host: string; expiresAt: number }

/** What a cookie's session says about a request: who, or why it may not be used from there. */
export type SessionCheck = { sessionId: string } | { wrongHost: string } | undefined;

const digest = (secret: string) => createHash('sha256').update(secret).digest('hex');
const secret = () => randomBytes(32).toString('base64url');

/** The cookie's name carries the cluster: cookies on 127.0.0.1 are not told apart by port. */
export function cookieName(clusterName: string): string {
  return `raylaunch_${clusterName.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class DashboardSessions {
  // Keyed by the digest of the secret: the tables hold nothing a reader of the head's memory could replay as is.
  private readonly codes = new Map<string, Pending>();
  private readonly sessions = new Map<string, Session>();
  private seq = 0;
  readonly cookie: string;

  constructor(private readonly o: { clusterName: string; clock: Clock }) {
    this.cookie = cookieName(o.clusterName);
  }

  /** A login code usable once, within LOGIN_CODE_TTL_MS, from a browser that reaches the head as `host`. */
  mintCode(host: string): string {
    this.expire();
    const code = secret();
    this.codes.set(digest(code), { host, expiresAt: this.o.clock.now() + LOGIN_CODE_TTL_MS });
    trim(this.codes, MAX_CODES);
    return code;
  }

  /** The session secret for a code (the code is used up), or undefined for a code unknown, used, expired or for another host. */
  exchange(code: string, host: string | undefined): { sessionId: string; secret: string } | undefined {
    this.expire();
    const key = digest(code);
    const pending = this.codes.get(key);
    if (!pending || pending.host !== host) return undefined;
    this.codes.delete(key);
    const s = secret();
    const sessionId = `s${++this.seq}`;
    this.sessions.set(digest(s), { id: sessionId, host: pending.host, expiresAt: this.o.clock.now() + SESSION_TTL_MS });
    trim(this.sessions, MAX_SESSIONS);
    return { sessionId, secret: s };
  }

  /** Whose session a cookie's value is, valid only on the host it was opened on. */
  check(value: string, host: string | undefined): SessionCheck {
    const s = this.sessions.get(digest(value));
    if (!s || s.expiresAt <= this.o.clock.now()) return undefined;
    if (s.host !== host) return { wrongHost: s.host };
    return { sessionId: s.id };
  }

  /** The Set-Cookie header for a session: the page's scripts cannot read it and no other site's request carries it. */
  setCookie(value: string): string {
    return `${this.cookie}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_MS / 1000}`;
  }

  private expire(): void {
    const now = this.o.clock.now();
    for (const [k, v] of this.codes) if (v.expiresAt <= now) this.codes.delete(k);
    for (const [k, v] of this.sessions) if (v.expiresAt <= now) this.sessions.delete(k);
  }
}

function trim<V>(m: Map<string, V>, max: number): void {
  for (const k of m.keys()) {
    if (m.size <= max) return;
    m.delete(k);
  }
}

const SAFE = new Set(['GET', 'HEAD']);

/**
 * A dashboard session's cookie as a caller. Refused: on another Host than the one it was opened on (a DNS-rebinding
 * page sends its own name), from another site or origin (Sec-Fetch-Site, Origin: a WebSocket upgrade carries the
 * latter), and a state-changing request without the dashboard's own Origin. An unknown or expired cookie is no caller at all (401).
 */
export function sessionCookie(sessions: DashboardSessions): Authenticator {
  return (req: IncomingMessage) => {
    const value = cookieValue(req.headers.cookie, sessions.cookie);
    if (value === undefined) return undefined;
    const who = sessions.check(value, req.headers.host);
    if (!who) return undefined;
    if ('wrongHost' in who) return { refused: `this dashboard session is for http://${who.wrongHost}/ and is not used on another address` };
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return { refused: `a ${String(site)} request may not use the dashboard session` };
    // Any Origin a browser sends (cross-origin reads, WebSocket upgrades) must be the page's own; a state-changing
    // request must carry it.
    const own = `http://${req.headers.host ?? ''}`;
    if (req.headers.origin !== undefined && req.headers.origin !== own) return { refused: `a request from ${req.headers.origin} may not use the dashboard session` };
    if (!SAFE.has(req.method ?? 'GET') && req.headers.origin !== own) {
      return { refused: `a ${req.method ?? ''} with the dashboard session must come from the dashboard's own page (Origin http://${req.headers.host ?? ''})` };
    }
    return { kind: 'session', sessionId: who.sessionId };
  };
}
