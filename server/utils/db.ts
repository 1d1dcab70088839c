import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { MigrationConfig, MigrationMeta } from 'drizzle-orm/migrator'
import migrations from '#migrations/sqlite'
import { resolveDatabase } from '../database/config'
import * as schema from '../database/schema.sqlite'

export { sessionTable, userTable } from '../database/schema.sqlite'

export type AppDatabase = BetterSQLite3Database<typeof schema>

let database: { db: AppDatabase, close: () => void } | undefined

/**
 * The app's database, opened (and migrated) on first use. A failed open is not cached, so a
 * store that comes back (directory created, disk freed) is picked up by the next request.
 */
export function useDatabase(): AppDatabase {
  database ??= openSqlite(resolveDatabase(process.env.DATABASE_URL).path)
  return database.db
}

export function closeDatabase(): void {
  database?.close()
  database = undefined
}

function openSqlite(path: string) {
  mkdirSync(dirname(path), { recursive: true })
  const client = new Database(path)
  try {
    client.pragma('journal_mode = WAL')
    client.pragma('busy_timeout = 5000')
    client.pragma('foreign_keys = ON')
    client.pragma('synchronous = NORMAL')
    const db = drizzle({ client, schema })
    applyMigrations(db, migrations)
    return { db, close: () => client.close() }
  }
  catch (error) {
    client.close()
    throw error
  }
}

/**
 * drizzle's migrate() reads a folder at run time; the migrations are bundled at build time
 * instead (see nuxt.config.ts), so this takes the same path migrate() takes, minus the read.
 */
function applyMigrations(db: AppDatabase, bundled: MigrationMeta[]): void {
  const { dialect, session } = db as unknown as {
    dialect: { migrate: (m: MigrationMeta[], s: unknown, c: MigrationConfig) => void }
    session: unknown
  }
  dialect.migrate(bundled, session, { migrationsFolder: 'drizzle/sqlite' })
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}
