import { eq, sql } from 'drizzle-orm'
import type { H3Event } from 'h3'
import type { Store } from '../database/store'

export interface AuthUser {
  id: string
  email: string
}

export interface AuthSession {
  /** The session row's id (the token's hash), never the token. */
  id: string
  createdAt: Date
  /** The effective expiry: the stored one, capped by the absolute lifetime. */
  expiresAt: Date
}

export type SessionValidation
  = | { state: 'valid', session: AuthSession, user: AuthUser, extended: boolean }
    | { state: 'expired' }
    | { state: 'unknown' }

/**
 * Looks a session up by its id (the token's hash) through Lucia's adapter. Lucia's own
 * validateSession slides without a cap, so the lifetime rules are applied here, from
 * session-lifetime.ts: an expired row (idle or past the absolute lifetime) is deleted, with
 * `expired` recorded as why it ended; a session due to slide gets its new, capped expiry.
 */
export async function validateSession(sessionId: string): Promise<SessionValidation> {
  const store = await useStore()
  const [row, user] = await store.luciaAdapter.getSessionAndUser(sessionId)
  if (!row || !user) return { state: 'unknown' }
  const createdAt = store.fromTime((row.attributes as { createdAt: number }).createdAt)
  const now = Date.now()
  if (!isSessionActive(createdAt, row.expiresAt, now)) {
    await store.transaction(async (tx) => {
      await tx.delete(store.sessionTable).where(eq(store.sessionTable.id, row.id))
      await recordSessionEnds([row.id], 'expired', tx)
    })
    return { state: 'expired' }
  }
  const slid = slidExpiry(createdAt, row.expiresAt, now)
  if (slid) await store.luciaAdapter.updateSessionExpiration(row.id, slid)
  return {
    state: 'valid',
    session: { id: row.id, createdAt, expiresAt: slid ?? effectiveExpiry(createdAt, row.expiresAt) },
    user: { id: user.id, email: (user.attributes as { email: string }).email },
    extended: slid !== null,
  }
}

/** A new session row and the token that names it; the caller inserts the row. */
export function newSession(store: Store, userId: string, event: H3Event) {
  const token = generateSessionToken()
  const now = new Date(Math.floor(Date.now() / 1000) * 1000)
  const expiresAt = initialExpiry(now)
  const row: typeof store.sessionTable.$inferInsert = {
    id: hashSessionToken(token),
    userId,
    createdAt: store.toTime(now),
    expiresAt: store.toTime(expiresAt),
    userAgent: getRequestHeader(event, 'user-agent')?.slice(0, 256) ?? null,
  }
  return { token, row, createdAt: now, expiresAt }
}

/**
 * Ends the session with this id in one statement (DELETE … RETURNING), so that of N concurrent
 * logouts exactly one sees the row. True if the session was active; an expired row is deleted
 * too, but is false.
 */
export async function endSession(sessionId: string): Promise<boolean> {
  const store = await useStore()
  const statement = deleteSessionStatement(store)
  // On SQLite, committed together with the other logouts of this turn of the event loop.
  const [deleted] = await (store.writeTogether ? store.writeTogether(() => statement.all({ sessionId })) : statement.execute({ sessionId }))
  return deleted !== undefined && isSessionActive(store.fromTime(deleted.createdAt), store.fromTime(deleted.expiresAt))
}

/**
 * A request that starts a new session (log-in, password reset) replaces the session the
 * browser's cookie named, if any: it is ended rather than left orphaned.
 */
export async function endReplacedSession(event: H3Event): Promise<void> {
  const previous = readSessionCookie(event)
  if (previous.state === 'present') await endSession(previous.sessionId)
}

/**
 * Logout's statement, built once per store: built per request, it cost about as much as the
 * delete itself (docs/benchmarks.md).
 */
const deleteSessionStatement = oncePerStore(({ db, sessionTable }) => db
  .delete(sessionTable)
  .where(eq(sessionTable.id, sql.placeholder('sessionId')))
  .returning({ createdAt: sessionTable.createdAt, expiresAt: sessionTable.expiresAt })
  .prepare())

/**
 * The signed-in user and session, or a 401. When the cookie named a session that was ended
 * (revoked, logged out everywhere, expired…), the 401 says why in `data.reason`.
 */
export function requireSession(event: H3Event) {
  const { user, session, sessionEndReason } = event.context
  if (!user || !session) {
    throw httpError({
      statusCode: 401,
      statusMessage: 'Unauthorized',
      message: 'Not signed in',
      ...(sessionEndReason ? { data: { reason: sessionEndReason } } : {}),
    })
  }
  return { user, session }
}

/**
 * The signed-in user and session, if the session is recently authenticated (started less than
 * NUXT_AUTH_REAUTH_MINUTES ago); otherwise a 403 with `data.reason: "reauthentication-required"`,
 * which the client answers with POST /api/auth/reauthenticate.
 */
export function requireRecentAuthentication(event: H3Event) {
  const signedIn = requireSession(event)
  if (!isRecentlyAuthenticated(signedIn.session)) {
    throw httpError({
      statusCode: 403,
      statusMessage: 'Forbidden',
      message: 'Confirm your password to do this',
      data: { reason: 'reauthentication-required' },
    })
  }
  return signedIn
}

export function isRecentlyAuthenticated(session: AuthSession, now = Date.now()): boolean {
  return reauthenticatedUntil(session.createdAt).getTime() > now
}

/** The wrong-password answer of re-authentication and password change: a 403, never a 401 (a client reads 401 as "signed out"). */
export function invalidPasswordError() {
  return httpError({ statusCode: 403, statusMessage: 'Forbidden', message: 'The password is not correct', data: { reason: 'invalid-password' } })
}
