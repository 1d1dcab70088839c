import { hash } from 'node:crypto'
import { and, desc, eq, gt } from 'drizzle-orm'
import type { H3Event } from 'h3'
import type { Store } from '../database/store'

const PUBLIC_ID_PATTERN = /^[0-9a-f]{32}$/

/**
 * The id a session is known by outside the server. The row id is the token's SHA-256: showing
 * it would let anyone who reads the list match rows in a database copy, so the list names a
 * session by a second one-way hash of the row id, under its own prefix, cut to 128 bits. It
 * cannot be turned back into the row id, let alone the token.
 *
 * This is the only place the derivation lives (session-token.ts owns the token and its hash;
 * this id is only the session list's concern). DELETE /api/auth/sessions/:id resolves an id by
 * computing it over the caller's sessions, which are few.
 */
export function publicSessionId(sessionId: string): string {
  return hash('sha256', `public:${sessionId}`, 'hex').slice(0, 32)
}

/** The user's active sessions (within both the idle timeout and the absolute lifetime), newest first. */
async function activeSessions(userId: string) {
  const { db, sessionTable, toTime, fromTime } = await useStore()
  const now = new Date()
  const rows = await db
    .select({ id: sessionTable.id, createdAt: sessionTable.createdAt, expiresAt: sessionTable.expiresAt, userAgent: sessionTable.userAgent })
    .from(sessionTable)
    .where(and(
      eq(sessionTable.userId, userId),
      gt(sessionTable.expiresAt, toTime(now)),
      gt(sessionTable.createdAt, toTime(new Date(now.getTime() - sessionPolicy().absoluteMs))),
    ))
    .orderBy(desc(sessionTable.createdAt))
  return rows.map((row) => {
    const createdAt = fromTime(row.createdAt)
    return { ...row, createdAt, expiresAt: effectiveExpiry(createdAt, fromTime(row.expiresAt)) }
  })
}

/** The caller's active sessions for the list: the current one first, then newest first. */
export async function listSessions(userId: string, currentSessionId: string): Promise<SessionSummary[]> {
  const rows = await activeSessions(userId)
  const summaries = rows.map(row => ({
    id: publicSessionId(row.id),
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    userAgent: row.userAgent,
    current: row.id === currentSessionId,
  }))
  return [...summaries.filter(s => s.current), ...summaries.filter(s => !s.current)]
}

/**
 * Ends the user's session with this public id, in one DELETE … RETURNING (of concurrent calls,
 * one wins). Returns the ended session's row id, or null when no active session of this user
 * has that id: an unknown id and another user's id look the same. Another session than the
 * caller's own is recorded as `revoked` in the same transaction; the caller's own is a logout
 * and records nothing.
 */
export async function endUserSession(userId: string, publicId: string, callerSessionId: string): Promise<string | null> {
  if (!PUBLIC_ID_PATTERN.test(publicId)) return null
  const target = (await activeSessions(userId)).find(row => publicSessionId(row.id) === publicId)
  if (!target) return null
  const store = await useStore()
  const { sessionTable, fromTime } = store
  return store.transaction(async (tx) => {
    const [deleted] = await tx
      .delete(sessionTable)
      .where(and(eq(sessionTable.id, target.id), eq(sessionTable.userId, userId)))
      .returning({ createdAt: sessionTable.createdAt, expiresAt: sessionTable.expiresAt })
    if (!deleted || !isSessionActive(fromTime(deleted.createdAt), fromTime(deleted.expiresAt))) return null
    if (target.id !== callerSessionId) await recordSessionEnds([target.id], 'revoked', tx)
    return target.id
  })
}

/**
 * Ends every session of the user, the caller's own included, in one transaction with the
 * record of why (`reason` for the active ones; rows that had expired anyway, `expired`).
 * Returns the row ids of the sessions that were active.
 */
export async function endAllUserSessions(userId: string, reason: SessionEndReason, tx?: Store['db']): Promise<string[]> {
  const store = await useStore()
  const { sessionTable, fromTime } = store
  const work = async (db: Store['db']) => {
    const deleted = await db
      .delete(sessionTable)
      .where(eq(sessionTable.userId, userId))
      .returning({ id: sessionTable.id, createdAt: sessionTable.createdAt, expiresAt: sessionTable.expiresAt })
    const now = Date.now()
    const active = deleted.filter(row => isSessionActive(fromTime(row.createdAt), fromTime(row.expiresAt), now)).map(row => row.id)
    await recordSessionEnds(active, reason, db)
    await recordSessionEnds(deleted.map(row => row.id).filter(id => !active.includes(id)), 'expired', db)
    return active
  }
  return tx ? work(tx) : store.transaction(work)
}

/**
 * Replaces the caller's session by a new one (new token, new row with created_at now; the old
 * row goes in the same transaction): re-authentication and password change (ASVS 7.2.4).
 * `alsoInTransaction` runs in that transaction too, before the new row is written. If the old
 * row is already gone (ended by a concurrent logout, revocation or reset while the password was
 * being checked), nothing changes and this is the 401 of a session that has ended.
 */
export async function rotateSession<T = void>(event: H3Event, userId: string, oldSessionId: string, alsoInTransaction: (tx: Store['db']) => Promise<T> = async () => undefined as T) {
  const store = await useStore()
  const session = newSession(store, userId, event)
  const result = await store.transaction(async (tx) => {
    const [ended] = await tx.delete(store.sessionTable).where(eq(store.sessionTable.id, oldSessionId)).returning({ id: store.sessionTable.id })
    if (!ended) throw httpError({ statusCode: 401, statusMessage: 'Unauthorized', message: 'Not signed in' })
    const extra = await alsoInTransaction(tx)
    await tx.insert(store.sessionTable).values(session.row)
    return extra
  })
  return { session, result }
}

/** Why the session with this row id ended, if that was recorded (looked up by its public id). */
export async function sessionEndReason(sessionId: string): Promise<SessionEndReason | undefined> {
  const { db, sessionEndTable } = await useStore()
  const [row] = await db.select({ reason: sessionEndTable.reason }).from(sessionEndTable).where(eq(sessionEndTable.publicId, publicSessionId(sessionId))).limit(1)
  return row?.reason as SessionEndReason | undefined
}

export type SessionEndReason = 'revoked' | 'logged-out-everywhere' | 'password-changed' | 'password-reset' | 'account-deleted' | 'expired'

/**
 * Remembers why these sessions (by row id) ended, so that their cookies' 401 can say so. Stored
 * under the public id, never the token or its hash. `tx` lets the caller record it in the same
 * transaction as the delete.
 */
export async function recordSessionEnds(sessionIds: readonly string[], reason: SessionEndReason, tx?: Store['db']): Promise<void> {
  if (sessionIds.length === 0) return
  const store = await useStore()
  const endedAt = store.toTime(new Date())
  await (tx ?? store.db)
    .insert(store.sessionEndTable)
    .values(sessionIds.map(id => ({ publicId: publicSessionId(id), reason, endedAt })))
    .onConflictDoUpdate({ target: store.sessionEndTable.publicId, set: { reason, endedAt } })
}
