import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import migrations from '#migrations/postgres'
import type { PostgresTarget } from './config'
import * as schema from './schema.postgres'
import { createSessionAdapter } from './session-adapter'
import { runBundledMigrations, type Store } from './store'

// Any constant shared by every instance of the app: the advisory lock that serialises migrations.
const MIGRATION_LOCK_ID = 7_312_204_961

/**
 * Every connection's settings, the migration lock's included. Like SQLite's busy_timeout: a
 * statement waits at most this long for a lock, then fails (a 500 the client can retry)
 * instead of holding the request forever.
 */
const SESSION_SETTINGS = { lock_timeout: 5000 }

/**
 * Connects to PostgreSQL and applies pending migrations under an advisory lock, so that
 * instances starting together (serverless cold starts) migrate one at a time.
 */
export async function openPostgres({ url, poolMax, connectTimeoutSeconds }: PostgresTarget): Promise<Store> {
  const client = postgres(url, {
    max: poolMax,
    onnotice: () => {},
    // A connection attempt to a database that has dropped away (packets lost, no reset) holds
    // its request and its pool slot until this gives up: at 10 s, requests in an outage waited
    // 10 s for their 500 and the pool stayed clogged as long after the database was back
    // (tests/e2e/postgres-faults.test.ts). Raise it for a database that is slow to wake.
    connect_timeout: connectTimeoutSeconds,
    // How long a connection that failed waits before it reconnects, in seconds, from the failures
    // counted across the whole pool. postgres-js's default grows to 10-20 s once the pool has
    // seen ten, as when an outage resets every connection at once, and the query handed to such
    // a connection waited that long after the database was back (postgres-faults.test.ts).
    backoff: (failures: number) => Math.min(0.05 * 2 ** failures, 1),
    connection: SESSION_SETTINGS,
  })
  try {
    // No schema: the app writes no relational queries (db.query); see sqlite.ts.
    const db = drizzle({ client: preparingStatements(client) })
    await migrateUnderLock(url, connectTimeoutSeconds, () => runBundledMigrations(db, migrations, 'drizzle/postgres'))
    // Typed as the SQLite flavour (see store.ts); the queries the app writes run on both.
    const store = {
      db: db as unknown as Store['db'],
      userTable: schema.userTable as unknown as Store['userTable'],
      sessionTable: schema.sessionTable as unknown as Store['sessionTable'],
      // timestamptz columns take and give Dates.
      toTime: (date: Date) => date as unknown as number,
      fromTime: (value: number) => value as unknown as Date,
    }
    return {
      ...store,
      dialect: 'postgres',
      sessionEndTable: schema.sessionEndTable as unknown as Store['sessionEndTable'],
      passwordResetTable: schema.passwordResetTable as unknown as Store['passwordResetTable'],
      securityEventTable: schema.securityEventTable as unknown as Store['securityEventTable'],
      rateLimitTable: schema.rateLimitTable as unknown as Store['rateLimitTable'],
      luciaAdapter: createSessionAdapter(store),
      transaction: work => againIfStatementWentStale(() => db.transaction(tx => work(tx as unknown as Store['db'])), poolMax),
      close: () => client.end({ timeout: 5 }),
    }
  }
  catch (error) {
    await client.end({ timeout: 1 })
    throw error
  }
}

/**
 * drizzle runs every query through postgres-js's `unsafe()` with `prepare: false` unless the
 * query was given a name, and an unprepared query with parameters takes two round trips: Parse
 * and Describe (for the parameters' types), then Bind and Execute. So a session lookup, a
 * logout, every query the app makes waited on the database twice. Here every query drizzle
 * sends, in transactions and savepoints too, is prepared: the first run on a connection parses
 * it (postgres-js names and keeps it), every later one is a single round trip
 * (tests/e2e/postgres-round-trips.test.ts). `?prepare=false` in DATABASE_URL, postgres-js's own
 * switch, still turns it off, as a transaction-mode pooler without prepared statements needs
 * (PgBouncer before 1.21 or without max_prepared_statements). A kept statement that a
 * migration made stale under a running instance is prepared again: by postgres-js outside a
 * transaction, by againIfStatementWentStale inside one.
 */
function preparingStatements<T extends postgres.Sql | postgres.TransactionSql>(sql: T): T {
  const unsafe = (query: string, parameters?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) =>
    sql.unsafe(query, parameters, { ...options, prepare: true })
  const opening = (key: 'begin' | 'savepoint') => (...args: unknown[]) => {
    const work = args.pop() as (inner: postgres.TransactionSql) => unknown
    const open = Reflect.get(sql, key) as (...a: unknown[]) => unknown
    return open.call(sql, ...args, (inner: postgres.TransactionSql) => work(preparingStatements(inner)))
  }
  // Made once per client, not at every query.
  const overrides: Record<PropertyKey, unknown> = { unsafe, begin: opening('begin'), savepoint: opening('savepoint') }
  return new Proxy(sql, {
    get: (target, key) => Object.hasOwn(overrides, key) ? overrides[key] : Reflect.get(target, key),
  })
}

/**
 * The errors PostgreSQL gives only a kept statement that a migration made stale ("cached plan
 * must not change result type" after a column's type changed, a prepared statement gone), for
 * which postgres-js itself drops the statement and runs the query again (two of its
 * `retryRoutines`; the third, transformAssignedExpr, is also what a new statement with a wrong
 * type gets, for good).
 */
const STALE_STATEMENT_ROUTINES = new Set(['FetchPreparedStatement', 'RevalidateCachedQuery'])

/** More than any transaction of the app has statements. */
const STATEMENTS_PER_TRANSACTION_MAX = 8

/**
 * Runs a transaction again while a kept statement in it had gone stale. postgres-js's own retry
 * cannot help there: the failure has already aborted the transaction. It has dropped that
 * statement from its connection, so a later run on that connection prepares it afresh. But each
 * connection of the pool keeps its own copy, the next run goes to the connection idle longest,
 * and a transaction can hold several (a password change's two deletes return the same column):
 * every failed run drops one stale copy for good, so at most `poolMax` times the statements of
 * a transaction fail before one run succeeds. Without this, a rolling deploy whose migration
 * changes a column's type gave the old instances' sign-ups, rotations and resets a 500 on every
 * connection. The transactions the app runs do nothing but queries, so running one again is safe.
 */
async function againIfStatementWentStale<T>(run: () => Promise<T>, poolMax: number): Promise<T> {
  const runsMax = poolMax * STATEMENTS_PER_TRANSACTION_MAX + 1
  for (let runs = 1; ; runs++) {
    try {
      return await run()
    }
    catch (error) {
      if (runs >= runsMax || !isStaleStatementError(error)) throw error
    }
  }
}

/** The error, or the one it wraps (drizzle's DrizzleQueryError), is a stale statement's. */
function isStaleStatementError(error: unknown): boolean {
  return [error, error instanceof Error ? error.cause : undefined].some((candidate) => {
    const routine = (candidate as { routine?: unknown } | undefined)?.routine
    return typeof routine === 'string' && STALE_STATEMENT_ROUTINES.has(routine)
  })
}

/**
 * The lock is held on a connection of its own, outside the pool: the migrations run through the
 * pool, and with DATABASE_POOL_MAX=1 (as on serverless) a pooled connection holding the lock
 * left none for them, so the open, and every request waiting on it, hung.
 */
async function migrateUnderLock(url: string, connectTimeoutSeconds: number, migrate: () => unknown): Promise<void> {
  const lock = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: connectTimeoutSeconds, connection: SESSION_SETTINGS })
  try {
    await lock`select pg_advisory_lock(${MIGRATION_LOCK_ID})`
    try {
      await migrate()
    }
    finally {
      await lock`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`
    }
  }
  finally {
    await lock.end({ timeout: 5 })
  }
}
