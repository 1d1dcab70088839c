import { eq, sql } from 'drizzle-orm'
import type { H3Event } from 'h3'
import { generateIdFromEntropySize } from 'lucia'

export interface Credentials {
  email: string
  password: string
}

/**
 * Creates the user and their first session in one transaction, so a failure leaves no
 * half-created account. Null when the email is taken.
 */
export async function signUp(event: H3Event, { email, password }: Credentials) {
  const passwordHash = await hashPassword(password)
  const store = await useStore()
  const { userTable, sessionTable } = store
  const user = { id: generateIdFromEntropySize(10), email, passwordHash, createdAt: store.toTime(new Date()) }
  const session = newSession(store, user.id, event)
  const created = await store.transaction(async (tx) => {
    const [inserted] = await tx.insert(userTable).values(user).onConflictDoNothing({ target: userTable.email }).returning({ id: userTable.id })
    if (!inserted) return false
    await tx.insert(sessionTable).values(session.row)
    return true
  })
  if (!created) return null
  await emitAuthEvent(event, 'signup', { userId: user.id, sessionId: session.row.id })
  return { user: { id: user.id, email: user.email }, session }
}

/**
 * Checks the credentials and, if they hold, starts a new session (never reusing one the client
 * already had). Null for an unknown email and a wrong password alike.
 */
export async function logIn(event: H3Event, { email, password }: Credentials) {
  const store = await useStore()
  const [user] = await userByEmailStatement(store).execute({ email })
  if (!await verifyPassword(user?.passwordHash, password) || !user) {
    // Stored for the account when the email has one (after the answer); an unknown email is only logged.
    await emitAuthEvent(event, 'login-failed', { userId: user?.id })
    return null
  }
  const session = newSession(store, user.id, event)
  await store.db.insert(store.sessionTable).values(session.row)
  await endReplacedSession(event)
  await emitAuthEvent(event, 'login', { userId: user.id, sessionId: session.row.id })
  return { user: { id: user.id, email: user.email }, session }
}

/**
 * For a log-in refused by the throttle (429): a login-throttled event, stored for the email's
 * account if it has one; then the error goes on as it was. A failed lookup only costs the row.
 */
export async function loginRefused(event: H3Event, email: string, error: unknown): Promise<never> {
  if (isError(error) && error.statusCode === 429) {
    const userId = await userIdByEmail(email).catch((lookupError: unknown) => {
      console.error('[auth-events] could not look up the account of a throttled log-in:', lookupError)
      return undefined
    })
    await emitAuthEvent(event, 'login-throttled', { userId })
  }
  throw error
}

async function userIdByEmail(email: string): Promise<string | undefined> {
  const [user] = await userByEmailStatement(await useStore()).execute({ email })
  return user?.id
}

/** The account of an email, for log-in and for a refused log-in's event (a flood of 429s looks it up each time). */
const userByEmailStatement = oncePerStore(({ db, userTable }) => db
  .select({ id: userTable.id, email: userTable.email, passwordHash: userTable.passwordHash })
  .from(userTable)
  .where(eq(userTable.email, sql.placeholder('email')))
  .limit(1)
  .prepare())
