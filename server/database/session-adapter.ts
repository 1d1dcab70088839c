import { eq, lte, sql } from 'drizzle-orm'
import type { Adapter, DatabaseSession, DatabaseUser } from 'lucia'
import type { Store } from './store'

type AdapterStore = Pick<Store, 'db' | 'sessionTable' | 'toTime' | 'fromTime' | 'readTogether'>

/**
 * Lucia's adapter over prepared drizzle statements, one set per store, for both dialects. The
 * paths every signed-in request takes (the session-and-user lookup, and the slide) are built and
 * compiled once: @lucia-auth/adapter-drizzle builds the query's SQL again on every call, and on
 * SQLite has better-sqlite3 compile a new statement each time, which cost more than the lookup
 * itself (docs/benchmarks.md). The lookup is one statement, so one round trip on PostgreSQL.
 * Session attributes are the row's other columns (createdAt, userAgent), user attributes the
 * email: never the password hash. Each statement is prepared at its first use rather than when
 * the store opens: a start (and a first request that validates no session, such as a logout)
 * no longer pays the few ms they take; the first request that uses one does. A statement
 * that fails to prepare (a schema out of step with the migrations) fails those requests (a
 * 500, logged) rather than the open, and is tried again by the next.
 */
export function createSessionAdapter({ db, sessionTable, toTime, fromTime, readTogether }: AdapterStore): Adapter {
  const sessionAndUser = preparedOnFirstUse(() => db
    .select({
      id: sessionTable.id,
      userId: sessionTable.userId,
      expiresAt: sessionTable.expiresAt,
      createdAt: sessionTable.createdAt,
      userAgent: sessionTable.userAgent,
      // A scalar subquery rather than a join: the same two index lookups, but on SQLite the
      // join cost 20 µs a lookup against 5.6 µs for this (22 against 10.5 µs at 1M rows;
      // docs/benchmarks.md). Null only if the user row is gone. Names written out in full:
      // drizzle leaves columns unqualified in a one-table select.
      email: sql<string | null>`(select "user"."email" from "user" where "user"."id" = "session"."user_id")`,
    })
    .from(sessionTable)
    .where(eq(sessionTable.id, sql.placeholder('sessionId')))
    .prepare())
  // On SQLite, batched with the lookups of this turn; `all()` runs the statement at once,
  // `execute()` only when awaited.
  const findSession = readTogether
    ? (sessionId: string) => readTogether(() => sessionAndUser().all({ sessionId }))
    : (sessionId: string) => sessionAndUser().execute({ sessionId })
  const updateExpiration = preparedOnFirstUse(() => db
    .update(sessionTable)
    .set({ expiresAt: sql.placeholder('expiresAt') as unknown as number })
    .where(eq(sessionTable.id, sql.placeholder('sessionId')))
    .prepare())
  const deleteSession = preparedOnFirstUse(() => db
    .delete(sessionTable)
    .where(eq(sessionTable.id, sql.placeholder('sessionId')))
    .prepare())

  const toDatabaseSession = (row: typeof sessionTable.$inferSelect): DatabaseSession => ({
    id: row.id,
    userId: row.userId,
    expiresAt: fromTime(row.expiresAt),
    attributes: { createdAt: row.createdAt, userAgent: row.userAgent },
  })

  return {
    async getSessionAndUser(sessionId): Promise<[DatabaseSession | null, DatabaseUser | null]> {
      const [row] = await findSession(sessionId)
      if (!row || row.email === null) return [null, null]
      return [toDatabaseSession(row), { id: row.userId, attributes: { email: row.email } }]
    },
    async updateSessionExpiration(sessionId, expiresAt) {
      await updateExpiration().execute({ sessionId, expiresAt: toTime(expiresAt) })
    },
    async deleteSession(sessionId) {
      await deleteSession().execute({ sessionId })
    },
    // The rest of Lucia's interface, off the hot paths: plain queries.
    async getUserSessions(userId) {
      const rows = await db.select().from(sessionTable).where(eq(sessionTable.userId, userId))
      return rows.map(toDatabaseSession)
    },
    async setSession(session) {
      const { createdAt, userAgent } = session.attributes as { createdAt?: number, userAgent?: string | null }
      await db.insert(sessionTable).values({
        id: session.id,
        userId: session.userId,
        expiresAt: toTime(session.expiresAt),
        createdAt: createdAt ?? toTime(new Date()),
        userAgent: userAgent ?? null,
      })
    },
    async deleteUserSessions(userId) {
      await db.delete(sessionTable).where(eq(sessionTable.userId, userId))
    },
    async deleteExpiredSessions() {
      await db.delete(sessionTable).where(lte(sessionTable.expiresAt, toTime(new Date())))
    },
  }
}

function preparedOnFirstUse<T>(prepare: () => T): () => T {
  let statement: T | undefined
  return () => (statement ??= prepare())
}
