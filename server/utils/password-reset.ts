import { and, eq, gt } from 'drizzle-orm'
import type { H3Event } from 'h3'

/**
 * Password reset by email (contract: "Password reset by email"). The token (session-token.ts)
 * is mailed and never stored: its row's id is the token's SHA-256, as for sessions. A token
 * lasts 30 minutes, works once, and a new one replaces the user's earlier ones.
 */

export const PASSWORD_RESET_LIFETIME_SECONDS = 30 * 60

/**
 * Starts a reset for this email and returns at once, whether or not it has an account: looking
 * it up, replacing its tokens, storing the event and sending the mail take time only for a known
 * email, so none of it may hold up the answer. It runs in the background (on Vercel,
 * event.waitUntil keeps the function alive until the mail is handed over: see
 * server/plugins/vercel-wait-until.ts); a failure is logged, never thrown.
 */
export function startPasswordReset(event: H3Event, email: string): void {
  // Node forgets the address of a socket the client has closed unless it was read before: read
  // it now, so that the event logged after the answer still names the client.
  clientAddress(event)
  // From the next turn of the event loop, once the answer is written: SQLite's queries run
  // synchronously and would otherwise still hold it up.
  const job = new Promise(resolve => setImmediate(resolve)).then(() => replaceResetToken(email)).then(async (reset) => {
    if (!reset) return
    await emitAuthEvent(event, 'password-reset-requested', { userId: reset.userId })
    await sendMail(passwordResetMail(email, reset.token))
  }).catch((error: unknown) => {
    // The driver's own message (drizzle's wrapper would add the query's parameters).
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error
    console.error(`[password-reset] could not start a reset: ${cause instanceof Error ? cause.message : String(cause)}`)
  })
  event.waitUntil(job)
}

/**
 * For an email with an account: replaces the user's reset tokens with a new one, in one
 * transaction. Null for an unknown email.
 */
async function replaceResetToken(email: string) {
  const store = await useStore()
  const { db, userTable, passwordResetTable } = store
  const [user] = await db.select({ id: userTable.id }).from(userTable).where(eq(userTable.email, email)).limit(1)
  if (!user) return null
  const token = generateResetToken()
  const now = new Date()
  const row = {
    id: hashResetToken(token),
    userId: user.id,
    createdAt: store.toTime(now),
    expiresAt: store.toTime(new Date(now.getTime() + PASSWORD_RESET_LIFETIME_SECONDS * 1000)),
  }
  await store.transaction(async (tx) => {
    await tx.delete(passwordResetTable).where(eq(passwordResetTable.userId, user.id))
    await tx.insert(passwordResetTable).values(row)
  })
  return { userId: user.id, token }
}

function passwordResetMail(to: string, token: string): Mail {
  const origin = publicOrigin()!
  // In the fragment, not the query: it never reaches a server log or a Referer header.
  const link = `${origin}/reset-password#token=${token}`
  return {
    to,
    subject: 'Reset your password',
    text: [
      `Someone, hopefully you, asked to reset the password of your account at ${origin}.`,
      '',
      `To choose a new password, open this link within ${PASSWORD_RESET_LIFETIME_SECONDS / 60} minutes. It works once.`,
      link,
      '',
      'If you did not ask for this, ignore this mail: your password stays as it is.',
      '',
    ].join('\n'),
  }
}

/**
 * Uses a live token up: in one transaction its row goes, the password hash is replaced, every
 * session of the user ends (reason `password-reset`) and a new one starts. Null for an
 * unknown, expired or used token, changing nothing.
 */
export async function resetPassword(event: H3Event, token: string, newPassword: string) {
  if (!isResetToken(token)) return null
  // Hashed before the transaction: on SQLite it may await only the store's queries.
  const passwordHash = await hashPassword(newPassword)
  const store = await useStore()
  const { userTable, sessionTable, passwordResetTable } = store
  const now = new Date()
  const result = await store.transaction(async (tx) => {
    const [reset] = await tx
      .delete(passwordResetTable)
      .where(and(eq(passwordResetTable.id, hashResetToken(token)), gt(passwordResetTable.expiresAt, store.toTime(now))))
      .returning({ userId: passwordResetTable.userId })
    if (!reset) return null
    const [user] = await tx.update(userTable).set({ passwordHash }).where(eq(userTable.id, reset.userId)).returning({ id: userTable.id, email: userTable.email })
    if (!user) return null
    await endAllUserSessions(user.id, 'password-reset', tx)
    const session = newSession(store, user.id, event)
    await tx.insert(sessionTable).values(session.row)
    return { user, session }
  })
  if (!result) return null
  // The session this browser had may be another account's.
  await endReplacedSession(event)
  return result
}
