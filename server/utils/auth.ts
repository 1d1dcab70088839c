import { DrizzleSQLiteAdapter } from '@lucia-auth/adapter-drizzle'
import { eq } from 'drizzle-orm'
import type { H3Event } from 'h3'
import { Lucia, TimeSpan } from 'lucia'

export interface AuthUser {
  id: string
  email: string
}

export interface AuthSession {
  /** The session row's id (the token's hash), never the token. */
  id: string
  expiresAt: Date
}

function createLucia(db: AppDatabase) {
  return new Lucia(new DrizzleSQLiteAdapter(db, sessionTable, userTable), {
    // Lucia slides a session once less than half of this is left.
    sessionExpiresIn: new TimeSpan(SESSION_LIFETIME_SECONDS, 's'),
    getUserAttributes: attributes => ({ email: attributes.email }),
  })
}

declare module 'lucia' {
  interface Register {
    Lucia: ReturnType<typeof createLucia>
    DatabaseUserAttributes: { email: string }
    DatabaseSessionAttributes: { createdAt: number, userAgent: string | null }
  }
}

const luciaByDatabase = new WeakMap<AppDatabase, ReturnType<typeof createLucia>>()

export function useLucia() {
  const db = useDatabase()
  let lucia = luciaByDatabase.get(db)
  if (!lucia) luciaByDatabase.set(db, lucia = createLucia(db))
  return lucia
}

/** Looks a session up by its id (the token's hash); Lucia deletes it if expired and slides it if old. */
export async function validateSession(sessionId: string) {
  const { session, user } = await useLucia().validateSession(sessionId)
  if (!session) return null
  return { session: { id: session.id, expiresAt: session.expiresAt }, user: { id: user.id, email: user.email }, extended: session.fresh }
}

/** A new session row and the token that names it; the caller inserts the row. */
export function newSession(userId: string, event: H3Event) {
  const token = generateSessionToken()
  const createdAt = nowSeconds()
  const row: typeof sessionTable.$inferInsert = {
    id: hashSessionToken(token),
    userId,
    createdAt,
    expiresAt: createdAt + SESSION_LIFETIME_SECONDS,
    userAgent: getRequestHeader(event, 'user-agent')?.slice(0, 256) ?? null,
  }
  return { token, row, expiresAt: new Date(row.expiresAt * 1000) }
}

/**
 * Ends the session the token names, in one statement so that of N concurrent logouts exactly
 * one sees the row. True if the session was active; an expired row is deleted too, but is false.
 */
export async function endSession(sessionId: string): Promise<boolean> {
  const [deleted] = await useDatabase()
    .delete(sessionTable)
    .where(eq(sessionTable.id, sessionId))
    .returning({ expiresAt: sessionTable.expiresAt })
  return deleted !== undefined && deleted.expiresAt > nowSeconds()
}

/** The signed-in user and session, or a 401. */
export function requireSession(event: H3Event) {
  const { user, session } = event.context
  if (!user || !session) throw createError({ statusCode: 401, statusMessage: 'Unauthorized', message: 'Not signed in' })
  return { user, session }
}
