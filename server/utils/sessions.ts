import { createHash } from 'node:crypto'
import { and, desc, eq, gt } from 'drizzle-orm'
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
  return createHash('sha256').update(`public:${sessionId}`).digest('hex').slice(0, 32)
}

/** The user's active sessions (expiry in the future), newest first. */
async function activeSessions(userId: string) {
  const { db, sessionTable, toTime, fromTime } = await useStore()
  const rows = await db
    .select({ id: sessionTable.id, createdAt: sessionTable.createdAt, expiresAt: sessionTable.expiresAt, userAgent: sessionTable.userAgent })
    .from(sessionTable)
    .where(and(eq(sessionTable.userId, userId), gt(sessionTable.expiresAt, toTime(new Date()))))
    .orderBy(desc(sessionTable.createdAt))
  return rows.map(row => ({ ...row, createdAt: fromTime(row.createdAt), expiresAt: fromTime(row.expiresAt) }))
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
 * has that id: an unknown id and another user's id look the same.
 */
export async function endUserSession(userId: string, publicId: string): Promise<string | null> {
  if (!PUBLIC_ID_PATTERN.test(publicId)) return null
  const target = (await activeSessions(userId)).find(row => publicSessionId(row.id) === publicId)
  if (!target) return null
  const { db, sessionTable, fromTime } = await useStore()
  const [deleted] = await db
    .delete(sessionTable)
    .where(and(eq(sessionTable.id, target.id), eq(sessionTable.userId, userId)))
    .returning({ expiresAt: sessionTable.expiresAt })
  return deleted !== undefined && fromTime(deleted.expiresAt).getTime() > Date.now() ? target.id : null
}

/**
 * Ends every session of the user in one statement, the caller's own included. Returns how many
 * of them were active; expired rows of the user go too but are not counted.
 */
export async function endAllUserSessions(userId: string): Promise<number> {
  const { db, sessionTable, fromTime } = await useStore()
  const deleted = await db
    .delete(sessionTable)
    .where(eq(sessionTable.userId, userId))
    .returning({ expiresAt: sessionTable.expiresAt })
  const now = Date.now()
  return deleted.filter(row => fromTime(row.expiresAt).getTime() > now).length
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
