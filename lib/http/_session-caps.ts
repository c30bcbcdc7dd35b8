/**
 * Admission of new `server --http` sessions. Every live session costs a Ctx and an MCP Server (about 70 KB), so a
 * client that keeps sending initialize must hit a ceiling instead of growing the process without bound.
 */
export interface SessionCaps {
  /** Live sessions per bearer token; over it: 429. */
  perToken: number
  /** Live sessions in all; over it: 503. */
  total: number
  /** A session with no request for this long is closed. */
  idleMs: number
}

export const DEFAULT_SESSION_CAPS: SessionCaps = { perToken: 32, total: 64, idleMs: 10 * 60_000 }

export interface LiveSession {
  token: string
  lastSeen: number
  /** Requests (including open GET streams) still being answered: such a session is not idle. */
  inFlight: number
}

export interface Refusal {
  status: 429 | 503
  /** Seconds until the first of the sessions in the way may be closed as idle. */
  retryAfterSec: number
}

/** Whether one more session for `token` fits, or the refusal to send. */
export function admit(live: Iterable<LiveSession>, token: string, caps: SessionCaps, now: number): Refusal | undefined {
  const all = [...live]
  const mine = all.filter((session) => session.token === token)
  if (mine.length >= caps.perToken) return { status: 429, retryAfterSec: retryAfter(mine, caps.idleMs, now) }
  if (all.length >= caps.total) return { status: 503, retryAfterSec: retryAfter(all, caps.idleMs, now) }
  return undefined
}

/** Whether the session has been idle longer than the cap allows. */
export function isIdle(session: LiveSession, idleMs: number, now: number): boolean {
  return session.inFlight === 0 && now - session.lastSeen > idleMs
}

function retryAfter(sessions: LiveSession[], idleMs: number, now: number): number {
  const waits = sessions.filter((session) => session.inFlight === 0).map((session) => session.lastSeen + idleMs - now)
  const soonest = waits.length ? Math.min(...waits) : idleMs
  return Math.max(1, Math.ceil(soonest / 1000))
}
