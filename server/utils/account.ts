import { eq } from 'drizzle-orm'
import type { H3Event } from 'h3'

/**
 * What a signed-in user does with their own account: re-authenticate, change the password,
 * delete the account. Each checks the password on log-in's throttle counters, and each ends or
 * replaces sessions, recording why (contract: "Why a session ended").
 */

/**
 * Checks the signed-in user's password as a log-in attempt: a wrong one counts as a failed
 * login on log-in's per-email and per-address counters, and past the limit this is a 429.
 * A wrong password is a 403 `invalid-password`, never a 401 (a client reads 401 as "signed out").
 */
async function confirmPassword(event: H3Event, user: AuthUser, sessionId: string, password: string): Promise<void> {
  const attempt = await startLoginAttempt(event, user.email).catch(error => loginRefused(event, user.email, error))
  const { db, userTable } = await useStore()
  const [row] = await db.select({ passwordHash: userTable.passwordHash }).from(userTable).where(eq(userTable.id, user.id)).limit(1)
  if (!await verifyPassword(row?.passwordHash, password)) {
    await emitAuthEvent(event, 'reauthentication-failed', { userId: user.id, sessionId })
    throw invalidPasswordError()
  }
  await attempt.succeeded()
}

/** POST /api/auth/reauthenticate: the caller's session is replaced by a new one, recently authenticated. */
export async function reauthenticate(event: H3Event, user: AuthUser, sessionId: string, password: string) {
  await confirmPassword(event, user, sessionId, password)
  const { session } = await rotateSession(event, user.id, sessionId)
  await emitAuthEvent(event, 'reauthenticated', { userId: user.id, sessionId: session.row.id })
  return session
}

/**
 * POST /api/auth/password: replaces the hash, ends every other session of the user (reason
 * `password-changed`) and replaces the caller's, all in one transaction. Returns the new
 * session and how many other sessions were active and ended.
 */
export async function changePassword(event: H3Event, user: AuthUser, sessionId: string, { currentPassword, newPassword }: { currentPassword: string, newPassword: string }) {
  await confirmPassword(event, user, sessionId, currentPassword)
  const passwordHash = await hashPassword(newPassword)
  const { userTable } = await useStore()
  const { session, result: ended } = await rotateSession(event, user.id, sessionId, async (tx) => {
    await tx.update(userTable).set({ passwordHash }).where(eq(userTable.id, user.id))
    // The caller's own row is already gone: only the other sessions are left to end.
    return endAllUserSessions(user.id, 'password-changed', tx)
  })
  await emitAuthEvent(event, 'password-changed', { userId: user.id, sessionId: session.row.id })
  return { session, endedSessions: ended.length }
}

/**
 * DELETE /api/auth/account: deletes the user, and with it (ON DELETE CASCADE) every session and
 * password-reset token, in one transaction with the reason `account-deleted` for each session.
 */
export async function deleteAccount(event: H3Event, user: AuthUser, sessionId: string): Promise<void> {
  const store = await useStore()
  await store.transaction(async (tx) => {
    await endAllUserSessions(user.id, 'account-deleted', tx)
    await tx.delete(store.userTable).where(eq(store.userTable.id, user.id))
  })
  await emitAuthEvent(event, 'account-deleted', { userId: user.id, sessionId })
}
