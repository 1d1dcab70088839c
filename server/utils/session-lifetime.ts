/**
 * How long a session lives, in one place (contract: "Session lifetime", "Recent
 * authentication"), so that the session middleware, /me, the session list, logout and the
 * cookie's Max-Age/Expires all agree:
 *
 * - idle timeout (NUXT_AUTH_SESSION_IDLE_DAYS, default 30): a session slides once less than half
 *   of it is left, as Lucia's did;
 * - absolute lifetime (NUXT_AUTH_SESSION_ABSOLUTE_DAYS, default 90) from created_at: sliding
 *   never moves the expiry past it, and a row past it is expired whatever its expires_at says
 *   (rows written before the cap existed included);
 * - recent authentication (NUXT_AUTH_REAUTH_MINUTES, default 10) from created_at.
 */

const DAY_MS = 24 * 60 * 60 * 1000

export interface SessionPolicy {
  idleMs: number
  absoluteMs: number
  reauthMs: number
}

let policy: SessionPolicy | undefined

/** Made once: every validation asks for it several times. */
export function sessionPolicy(): SessionPolicy {
  if (policy) return policy
  const { sessionIdleDays, sessionAbsoluteDays, reauthMinutes } = authSettings()
  return policy = { idleMs: sessionIdleDays * DAY_MS, absoluteMs: sessionAbsoluteDays * DAY_MS, reauthMs: reauthMinutes * 60_000 }
}

/** The last moment a session may live: its created_at plus the absolute lifetime. */
export function absoluteExpiry(createdAt: Date, policy = sessionPolicy()): Date {
  return new Date(createdAt.getTime() + policy.absoluteMs)
}

/** When a session really expires: its stored expiry, capped by the absolute lifetime. */
export function effectiveExpiry(createdAt: Date, expiresAt: Date, policy = sessionPolicy()): Date {
  return new Date(Math.min(expiresAt.getTime(), absoluteExpiry(createdAt, policy).getTime()))
}

export function isSessionActive(createdAt: Date, expiresAt: Date, now = Date.now(), policy = sessionPolicy()): boolean {
  return effectiveExpiry(createdAt, expiresAt, policy).getTime() > now
}

/** The expiry a session started at `createdAt` gets: the idle timeout, within the cap. */
export function initialExpiry(createdAt: Date, policy = sessionPolicy()): Date {
  return new Date(createdAt.getTime() + Math.min(policy.idleMs, policy.absoluteMs))
}

/**
 * The expiry to store after a request at `now`, or null to leave the row alone: a session in
 * the second half of its idle time slides to now + idle, capped; a row whose stored expiry lies
 * past the cap (written before it existed) is brought back to the cap.
 */
export function slidExpiry(createdAt: Date, expiresAt: Date, now = Date.now(), policy = sessionPolicy()): Date | null {
  const current = effectiveExpiry(createdAt, expiresAt, policy)
  const wanted = current.getTime() - now < policy.idleMs / 2
    ? effectiveExpiry(createdAt, new Date(now + policy.idleMs), policy)
    : current
  // Stored to the second (SQLite keeps unix seconds), so compared to the second.
  const seconds = Math.floor(wanted.getTime() / 1000) * 1000
  return seconds === expiresAt.getTime() ? null : new Date(seconds)
}

/** Until when a session started at `createdAt` counts as recently authenticated. */
export function reauthenticatedUntil(createdAt: Date, policy = sessionPolicy()): Date {
  return new Date(createdAt.getTime() + policy.reauthMs)
}
