import { eq, sql } from 'drizzle-orm'
import type { H3Event } from 'h3'
import { Lucia, TimeSpan } from 'lucia'
import type { Store } from '../database/store'

export interface AuthUser {
  id: string
  email: string
}

export interface AuthSession {
  /** The session row's id (the token's hash), never the token. */
  id: string
  expiresAt: Date
}

function createLucia(store: Store) {
  return new Lucia(store.luciaAdapter, {
    // Lucia slides a session once less than half of this is left.
    sessionExpiresIn: new TimeSpan(SESSION_LIFETIME_SECONDS, 's'),
    getUserAttributes: attributes => ({ email: attributes.email }),
  })
}

declare module 'lucia' {
  interface Register {
    Lucia: ReturnType<typeof createLucia>
    DatabaseUserAttributes: { email: string }
  }
}

const luciaByStore = new WeakMap<Store, ReturnType<typeof createLucia>>()

async function useLucia() {
  const store = await useStore()
  let lucia = luciaByStore.get(store)
  if (!lucia) luciaByStore.set(store, lucia = createLucia(store))
  return lucia
}

/** Looks a session up by its id (the token's hash); Lucia deletes it if expired and slides it if old. */
export async function validateSession(sessionId: string) {
  const { session, user } = await (await useLucia()).validateSession(sessionId)
  if (!session) return null
  return { session: { id: session.id, expiresAt: session.expiresAt }, user: { id: user.id, email: user.email }, extended: session.fresh }
}

/** A new session row and the token that names it; the caller inserts the row. */
export function newSession(store: Store, userId: string, event: H3Event) {
  const token = generateSessionToken()
  const now = new Date(Math.floor(Date.now() / 1000) * 1000)
  const expiresAt = new Date(now.getTime() + SESSION_LIFETIME_SECONDS * 1000)
  const row: typeof store.sessionTable.$inferInsert = {
    id: hashSessionToken(token),
    userId,
    createdAt: store.toTime(now),
    expiresAt: store.toTime(expiresAt),
    userAgent: getRequestHeader(event, 'user-agent')?.slice(0, 256) ?? null,
  }
  return { token, row, expiresAt }
}

/**
 * Ends the session with this id in one statement (DELETE … RETURNING), so that of N concurrent
 * logouts exactly one sees the row. True if the session was active; an expired row is deleted
 * too, but is false.
 */
export async function endSession(sessionId: string): Promise<boolean> {
  const store = await useStore()
  const [deleted] = await deleteSessionStatement(store).execute({ sessionId })
  return deleted !== undefined && store.fromTime(deleted.expiresAt).getTime() > Date.now()
}

function prepareDeleteSession({ db, sessionTable }: Store) {
  return db
    .delete(sessionTable)
    .where(eq(sessionTable.id, sql.placeholder('sessionId')))
    .returning({ expiresAt: sessionTable.expiresAt })
    .prepare()
}

const deleteSessionByStore = new WeakMap<Store, ReturnType<typeof prepareDeleteSession>>()

/**
 * Logout's statement, built once per store: otherwise drizzle would build the SQL again (and on
 * SQLite compile a new statement) on every request, which cost about as much as the delete
 * itself (docs/benchmarks.md).
 */
function deleteSessionStatement(store: Store) {
  let statement = deleteSessionByStore.get(store)
  if (!statement) deleteSessionByStore.set(store, statement = prepareDeleteSession(store))
  return statement
}

/** The signed-in user and session, or a 401. */
export function requireSession(event: H3Event) {
  const { user, session } = event.context
  if (!user || !session) throw createError({ statusCode: 401, statusMessage: 'Unauthorized', message: 'Not signed in' })
  return { user, session }
}
