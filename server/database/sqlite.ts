import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import migrations from '#migrations/sqlite'
import * as schema from './schema.sqlite'
import { createSessionAdapter } from './session-adapter'
import { startCheckpointer, type Checkpointer } from './sqlite-checkpoints'
import { runBundledMigrations, type AppDatabase, type Store } from './store'

/** Opens (creating if absent) and migrates the SQLite file; WAL, busy_timeout, foreign keys. */
export async function openSqlite(path: string): Promise<Store> {
  mkdirSync(dirname(path), { recursive: true })
  // SQLite quietly opens a file it cannot write read-only, and such a connection stays read-only
  // after the disk is writable again. Refuse it: the open fails and the next request retries.
  accessSync(dirname(path), constants.W_OK)
  if (existsSync(path)) accessSync(path, constants.W_OK)
  const client = new Database(path)
  let checkpointer: Checkpointer | undefined
  try {
    client.pragma('journal_mode = WAL')
    client.pragma('busy_timeout = 5000')
    client.pragma('foreign_keys = ON')
    client.pragma('synchronous = NORMAL')
    // drizzle hands every statement to the logger just before running it: the one place to check.
    // No schema: the app writes no relational queries (db.query), and drizzle's reading of one
    // took about 1 ms of every start.
    const db: AppDatabase = drizzle({ client, logger: { logQuery: writesStillAtPath(path, () => checkpointer?.wrote()) } })
    runBundledMigrations(db, migrations, 'drizzle/sqlite')
    // Checkpoints run in a worker thread, beside the writes (sqlite-checkpoints.ts). Started
    // after the migration check, whose statements are not the server's writes: a server that
    // only reads never starts the thread.
    checkpointer = startCheckpointer(client, path)
    const readTogether = runTogether(client, 'BEGIN')
    return {
      dialect: 'sqlite',
      db,
      userTable: schema.userTable,
      sessionTable: schema.sessionTable,
      sessionEndTable: schema.sessionEndTable,
      passwordResetTable: schema.passwordResetTable,
      securityEventTable: schema.securityEventTable,
      rateLimitTable: schema.rateLimitTable,
      luciaAdapter: createSessionAdapter({ db, sessionTable: schema.sessionTable, toTime, fromTime, readTogether }),
      transaction: work => transaction(client, () => work(db)),
      readTogether,
      writeTogether: runTogether(client, 'BEGIN IMMEDIATE'),
      toTime,
      fromTime,
      close: async () => {
        await checkpointer?.close()
        client.close()
      },
    }
  }
  catch (error) {
    await checkpointer?.close()
    client.close()
    throw error
  }
}

const toTime = (date: Date) => Math.floor(date.getTime() / 1000)
const fromTime = (seconds: number) => new Date(seconds * 1000)

/**
 * A check, before statements that write, that `path` still names the file SQLite has open (its
 * inode and device, stat(2) at open against stat(2) now), which throws if not. Were the file or
 * its directory deleted, moved, or replaced while the server runs, SQLite would go on writing
 * into a file no longer at the path, and every write it acknowledged would be missing at the next
 * start. With the check each write fails instead (a 500) until the server is restarted on the
 * path. Reads are not checked: they lose nothing. A stat(2) cost 12-14 µs a request under load,
 * so it runs at most once a millisecond: a write within that millisecond of a deletion is in
 * the same place as one acknowledged just before it (docs/benchmarks.md). Every write is also
 * told to `wrote` (the checkpoint worker's cue).
 */
function writesStillAtPath(path: string, wrote: () => void): (query: string) => void {
  const opened = statSync(path)
  let checkedAt = Number.NEGATIVE_INFINITY
  return (query) => {
    if (query.startsWith('select')) return
    wrote()
    const now = performance.now()
    if (now - checkedAt < 1) return
    const current = statSync(path, { throwIfNoEntry: false })
    if (current?.ino !== opened.ino || current.dev !== opened.dev) {
      throw new Error(`the SQLite file ${path} was deleted or replaced while open; restart the server to open the one at that path`)
    }
    checkedAt = now
  }
}

/**
 * Statements queued in one turn of the event loop, run together in one transaction at its end
 * (setImmediate): a statement on its own takes and drops the database's locks, system calls that
 * were most of a session lookup's cost and more than half a logout's under load
 * (docs/benchmarks.md). `begin` is `BEGIN` for reads and `BEGIN IMMEDIATE` for writes (the write
 * lock up front, as the app's other transactions take it). The batch runs synchronously, so
 * nothing else on this connection comes in between. Each statement gets its own result or
 * error, given once the transaction has committed; if the commit fails, none of it happened and
 * every statement gets that error. Each is given in a callback of its own (setImmediate), as it
 * would be on its own: resumed in one callback, the requests would interleave at their awaits,
 * and one's statements could run inside another's transaction (see transaction() below). A
 * batch that finds a transaction of this connection already open (none should span a turn)
 * runs inside it, as each statement would on its own.
 */
function runTogether(client: Database.Database, begin: 'BEGIN' | 'BEGIN IMMEDIATE'): <T>(statement: () => T) => Promise<T> {
  const beginStatement = client.prepare(begin)
  const commit = client.prepare('COMMIT')
  let queued: Array<{ run: () => unknown, resolve: (value: unknown) => void, reject: (error: unknown) => void }> = []
  const runQueued = () => {
    const batch = queued
    queued = []
    const ownTransaction = !client.inTransaction
    try {
      if (ownTransaction) beginStatement.run()
      const outcomes: Array<{ ok: boolean, value: unknown }> = []
      for (const { run } of batch) {
        try {
          outcomes.push({ ok: true, value: run() })
        }
        catch (error) {
          // A failure that ended the whole transaction (a full disk, an I/O error) undid the
          // statements before it too: the batch fails with it, and the rest is not run.
          if (ownTransaction && !client.inTransaction) throw error
          outcomes.push({ ok: false, value: error })
        }
      }
      if (ownTransaction) commit.run()
      batch.forEach(({ resolve, reject }, i) => setImmediate(outcomes[i]!.ok ? resolve : reject, outcomes[i]!.value))
    }
    catch (error) {
      for (const { reject } of batch) setImmediate(reject, error)
      if (ownTransaction && client.inTransaction) client.exec('ROLLBACK')
    }
  }
  return <T>(statement: () => T) => new Promise<T>((resolve, reject) => {
    if (!queued.length) setImmediate(runQueued)
    queued.push({ run: statement, resolve: resolve as (value: unknown) => void, reject })
  })
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
