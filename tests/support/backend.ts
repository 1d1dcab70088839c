import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import postgres from 'postgres'

export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export interface SessionRow {
  id: string
  userId: string
  expiresAt: Date
  createdAt: Date
  userAgent: string | null
}

/**
 * A database for one test file, on the backend TEST_BACKEND names (sqlite by default), with the
 * few direct reads and writes the tests need to check and arrange rows behind the server's back.
 */
export interface TestBackend {
  name: 'sqlite' | 'postgres'
  /** DATABASE_URL for the server. */
  databaseUrl: string
  sessionById: (id: string) => Promise<SessionRow | undefined>
  setSessionExpiry: (id: string, expiresAt: Date) => Promise<void>
  /** Moves a session's created_at (and with it its absolute lifetime and recent authentication). */
  setSessionCreatedAt: (id: string, createdAt: Date) => Promise<void>
  /** Every session_end row: why sessions ended, by public id. */
  sessionEnds: () => Promise<Array<{ publicId: string, reason: string, endedAt: Date }>>
  userById: (id: string) => Promise<{ email: string, passwordHash: string } | undefined>
  count: (table: 'user' | 'session' | 'session_end') => Promise<number>
  /** Inserts `count` sessions of a user directly, all expiring at `expiresAt`, in one transaction. */
  seedSessions: (userId: string, count: number, expiresAt: Date) => Promise<void>
  /** The query plan of the expired-session scan, as text. */
  explainExpiredScan: () => Promise<string>
  /** Every stored row of the user, session and session_end tables, as text, to search for what must not be there. */
  dump: () => Promise<string>
  /** Holds the session table's write lock until the returned function is called. */
  holdWriteLock: () => Promise<() => Promise<void>>
  /** What the server logs when a statement gave up waiting for that lock. */
  lockTimeoutLog: RegExp
  close: () => Promise<void>
}

export const BACKEND = process.env.TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite'

/**
 * The backend for this run, or a reason to skip. A missing PostgreSQL server is a skip on a
 * developer's machine and an error in CI.
 */
export async function createBackend(): Promise<TestBackend | { skip: string }> {
  if (BACKEND === 'sqlite') return createSqliteBackend()
  const admin = new URL(POSTGRES_ADMIN_URL)
  if (!await reachable(admin.hostname, Number(admin.port || 5432))) {
    const reason = `no PostgreSQL server at ${admin.host}`
    if (process.env.CI) throw new Error(`${reason}: CI needs one (TEST_POSTGRES_URL)`)
    return { skip: reason }
  }
  return createPostgresBackend()
}

function createSqliteBackend(): TestBackend {
  const dir = mkdtempSync(join(tmpdir(), 'auth-e2e-'))
  const path = join(dir, 'app.db')
  let connection: Database.Database | undefined
  // Opened on first use: the server creates the file and its tables when it starts.
  const db = () => {
    connection ??= new Database(path)
    connection.pragma('busy_timeout = 5000')
    return connection
  }
  const toRow = (row: Record<string, unknown> | undefined): SessionRow | undefined => row && {
    id: String(row.id),
    userId: String(row.user_id),
    expiresAt: new Date(Number(row.expires_at) * 1000),
    createdAt: new Date(Number(row.created_at) * 1000),
    userAgent: row.user_agent as string | null,
  }
  return {
    name: 'sqlite',
    databaseUrl: path,
    sessionById: async id => toRow(db().prepare('select * from session where id = ?').get(id) as Record<string, unknown> | undefined),
    setSessionExpiry: async (id, expiresAt) => {
      db().prepare('update session set expires_at = ? where id = ?').run(Math.floor(expiresAt.getTime() / 1000), id)
    },
    setSessionCreatedAt: async (id, createdAt) => {
      db().prepare('update session set created_at = ? where id = ?').run(Math.floor(createdAt.getTime() / 1000), id)
    },
    sessionEnds: async () => (db().prepare('select public_id, reason, ended_at from session_end').all() as Array<{ public_id: string, reason: string, ended_at: number }>)
      .map(row => ({ publicId: row.public_id, reason: row.reason, endedAt: new Date(row.ended_at * 1000) })),
    userById: async (id) => {
      const row = db().prepare('select email, password_hash from user where id = ?').get(id) as { email: string, password_hash: string } | undefined
      return row && { email: row.email, passwordHash: row.password_hash }
    },
    count: async table => (db().prepare(`select count(*) as n from "${table}"`).get() as { n: number }).n,
    dump: async () => JSON.stringify([db().prepare('select * from user').all(), db().prepare('select * from session').all(), db().prepare('select * from session_end').all()]),
    seedSessions: async (userId, count, expiresAt) => {
      const insert = db().prepare('insert into session (id, user_id, expires_at, created_at) values (?, ?, ?, ?)')
      const expires = Math.floor(expiresAt.getTime() / 1000)
      const seed = randomBytes(8).toString('hex')
      db().transaction(() => {
        for (let i = 0; i < count; i++) insert.run(`${seed}-${i}`, userId, expires, expires - 60)
      })()
    },
    explainExpiredScan: async () => JSON.stringify(db().prepare('explain query plan select id from session where expires_at <= ? limit 1000').all(0)),
    holdWriteLock: async () => {
      const locker = new Database(path)
      locker.exec('begin immediate')
      return async () => {
        locker.exec('rollback')
        locker.close()
      }
    },
    lockTimeoutLog: /SQLITE_BUSY|database is locked/,
    close: async () => {
      connection?.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function createPostgresBackend(): Promise<TestBackend> {
  const name = `auth_test_${randomBytes(6).toString('hex')}`
  const admin = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  const url = new URL(POSTGRES_ADMIN_URL)
  url.pathname = `/${name}`
  const sql = postgres(url.href, { max: 2, onnotice: () => {} })
  const toRow = (row: Record<string, unknown> | undefined): SessionRow | undefined => row && {
    id: String(row.id),
    userId: String(row.user_id),
    expiresAt: row.expires_at as Date,
    createdAt: row.created_at as Date,
    userAgent: row.user_agent as string | null,
  }
  return {
    name: 'postgres',
    databaseUrl: url.href,
    sessionById: async id => toRow((await sql`select * from session where id = ${id}`)[0]),
    setSessionExpiry: async (id, expiresAt) => {
      await sql`update session set expires_at = ${expiresAt} where id = ${id}`
    },
    setSessionCreatedAt: async (id, createdAt) => {
      await sql`update session set created_at = ${createdAt} where id = ${id}`
    },
    sessionEnds: async () => (await sql`select public_id, reason, ended_at from session_end`)
      .map(row => ({ publicId: row.public_id as string, reason: row.reason as string, endedAt: row.ended_at as Date })),
    userById: async (id) => {
      const [row] = await sql`select email, password_hash from "user" where id = ${id}`
      return row && { email: row.email as string, passwordHash: row.password_hash as string }
    },
    count: async table => Number((await sql.unsafe(`select count(*) as n from "${table}"`))[0]!.n),
    dump: async () => JSON.stringify([await sql`select * from "user"`, await sql`select * from session`, await sql`select * from session_end`]),
    seedSessions: async (userId, count, expiresAt) => {
      const seed = randomBytes(8).toString('hex')
      await sql`insert into session (id, user_id, expires_at, created_at)
        select ${seed} || '-' || i, ${userId}, ${expiresAt}, ${expiresAt}::timestamptz - interval '1 minute'
        from generate_series(1, ${count}) as i`
      await sql`analyze session`
    },
    // The planner rightly prefers a sequential scan when most rows are expired; with it off, the
    // plan shows that the index serves this query.
    explainExpiredScan: async () => JSON.stringify(await sql.begin(async (tx) => {
      await tx`set local enable_seqscan = off`
      return tx`explain select id from session where expires_at <= now() limit 1000`
    })),
    holdWriteLock: async () => {
      const locker = await sql.reserve()
      await locker`begin`
      await locker`lock table session in exclusive mode`
      return async () => {
        await locker`rollback`
        locker.release()
      }
    },
    lockTimeoutLog: /lock timeout/,
    close: async () => {
      await sql.end({ timeout: 5 })
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end({ timeout: 5 })
    },
  }
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
  })
}
