import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import migrations from '#migrations/sqlite'
import * as schema from './schema.sqlite'
import { createSessionAdapter } from './session-adapter'
import { runBundledMigrations, type AppDatabase, type Store } from './store'

/** Opens (creating if absent) and migrates the SQLite file; WAL, busy_timeout, foreign keys. */
export async function openSqlite(path: string): Promise<Store> {
  mkdirSync(dirname(path), { recursive: true })
  // SQLite quietly opens a file it cannot write read-only, and such a connection stays read-only
  // after the disk is writable again. Refuse it: the open fails and the next request retries.
  accessSync(dirname(path), constants.W_OK)
  if (existsSync(path)) accessSync(path, constants.W_OK)
  const client = new Database(path)
  try {
    client.pragma('journal_mode = WAL')
    client.pragma('busy_timeout = 5000')
    client.pragma('foreign_keys = ON')
    client.pragma('synchronous = NORMAL')
    // A checkpoint runs inside whichever commit fills the WAL to this many pages, and its cost
    // grows with them: at SQLite's default 1000, deleting a million expired sessions held the
    // event loop 15-25 ms every tenth batch; at 250, never more than 9 ms (docs/reliability.md),
    // at no cost to logout's throughput.
    client.pragma('wal_autocheckpoint = 250')
    // drizzle hands every statement to the logger just before running it: the one place to check.
    const db: AppDatabase = drizzle({ client, schema, logger: { logQuery: stillAtPath(path) } })
    runBundledMigrations(db, migrations, 'drizzle/sqlite')
    return {
      dialect: 'sqlite',
      db,
      userTable: schema.userTable,
      sessionTable: schema.sessionTable,
      sessionEndTable: schema.sessionEndTable,
      passwordResetTable: schema.passwordResetTable,
      securityEventTable: schema.securityEventTable,
      rateLimitTable: schema.rateLimitTable,
      luciaAdapter: createSessionAdapter({ db, sessionTable: schema.sessionTable, userTable: schema.userTable, toTime, fromTime }),
      transaction: work => transaction(client, () => work(db)),
      toTime,
      fromTime,
      close: async () => {
        client.close()
      },
    }
  }
  catch (error) {
    client.close()
    throw error
  }
}

const toTime = (date: Date) => Math.floor(date.getTime() / 1000)
const fromTime = (seconds: number) => new Date(seconds * 1000)

/**
 * A check that `path` still names the file SQLite has open (its inode and device, stat(2) at
 * open against stat(2) now), which throws if not. Were the file or its directory deleted (or the
 * file replaced) while the server runs, SQLite would go on writing into the unlinked files and
 * every write it acknowledged would vanish at the next start; with the check each statement
 * fails instead (a 500) until the server is restarted on the new path. It costs one stat(2) per
 * statement, about 2 µs, a few per cent of a logout.
 */
function stillAtPath(path: string): () => void {
  const opened = statSync(path)
  return () => {
    const now = statSync(path, { throwIfNoEntry: false })
    if (now?.ino !== opened.ino || now.dev !== opened.dev) {
      throw new Error(`the SQLite file ${path} was deleted or replaced while open; restart the server to open the one at that path`)
    }
  }
}

/**
 * better-sqlite3 runs each query synchronously, so an awaited drizzle query settles within the
 * same turn of the event loop: as long as `work` awaits nothing but queries on this connection,
 * no other request's statement can slip in between BEGIN and COMMIT.
 */
async function transaction<T>(client: Database.Database, work: () => Promise<T>): Promise<T> {
  client.exec('BEGIN IMMEDIATE')
  try {
    const result = await work()
    client.exec('COMMIT')
    return result
  }
  catch (error) {
    if (client.inTransaction) client.exec('ROLLBACK')
    throw error
  }
}
