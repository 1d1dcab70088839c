import type { Adapter } from 'lucia'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { MigrationMeta } from 'drizzle-orm/migrator'
import type * as sqliteSchema from './schema.sqlite'

/**
 * What the rest of the server sees of the database, whichever dialect is behind it.
 *
 * Queries are written once, with the SQLite flavour of drizzle's types, and only in the form
 * both dialects run alike: awaited builders, `.returning()`, `onConflictDoNothing()` (never
 * `.get()`/`.all()`/`.run()`). The one real difference, how a time is stored (unix seconds in
 * SQLite, timestamptz in PostgreSQL), goes through `toTime`/`fromTime`.
 */
export interface Store {
  dialect: 'sqlite' | 'postgres'
  db: AppDatabase
  userTable: typeof sqliteSchema.userTable
  sessionTable: typeof sqliteSchema.sessionTable
  sessionEndTable: typeof sqliteSchema.sessionEndTable
  passwordResetTable: typeof sqliteSchema.passwordResetTable
  securityEventTable: typeof sqliteSchema.securityEventTable
  rateLimitTable: typeof sqliteSchema.rateLimitTable
  /** Lucia's adapter, over prepared statements (session-adapter.ts). */
  luciaAdapter: Adapter
  /**
   * Runs `work` in one transaction. On SQLite, `work` may await only this store's queries, and
   * not the batched ones (`writeTogether`, the Lucia adapter's session lookup), which wait for
   * the end of the turn of the event loop.
   */
  transaction: <T>(work: (tx: AppDatabase) => Promise<T>) => Promise<T>
  /**
   * SQLite only: runs `read`, a statement run at once (a prepared query's `.all()`), in one read
   * transaction with the other reads of this turn of the event loop (sqlite.ts). The session
   * lookup goes through it.
   */
  readTogether?: <T>(read: () => T) => Promise<T>
  /**
   * SQLite only: the same for a write, in one `BEGIN IMMEDIATE` transaction, settling once that
   * has committed (group commit). Logout's delete goes through it.
   */
  writeTogether?: <T>(write: () => T) => Promise<T>
  /** A time as this dialect's column value. */
  toTime: (date: Date) => number
  /** A time column's value as a Date. */
  fromTime: (value: number) => Date
  close: () => Promise<void>
}

export type AppDatabase = BetterSQLite3Database

/**
 * drizzle's migrate() reads a folder at run time; the migrations are bundled at build time
 * instead (see nuxt.config.ts), so this takes the path migrate() takes, minus the read.
 */
export function runBundledMigrations(db: unknown, migrations: MigrationMeta[], migrationsFolder: string): unknown {
  const { dialect, session } = db as {
    dialect: { migrate: (m: MigrationMeta[], s: unknown, c: { migrationsFolder: string }) => unknown }
    session: unknown
  }
  return dialect.migrate(migrations, session, { migrationsFolder })
}
