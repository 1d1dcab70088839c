import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import postgres from 'postgres'

export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export interface SecurityEventRow {
  type: string
  sessionPublicId: string | null
  ipAddress: string | null
  userAgent: string | null
  createdAt: Date
  /** login-throttled rows: their quarter hour of the clock; other rows null. */
  throttleBucket: number | null
}

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
  count: (table: 'user' | 'session' | 'session_end' | 'rate_limit' | 'security_event' | 'password_reset') => Promise<number>
  /** The user's stored security events, oldest first. */
  securityEvents: (userId: string) => Promise<SecurityEventRow[]>
  /** Inserts `count` security events of a user directly, all made at `createdAt`, in one transaction. */
  seedSecurityEvents: (userId: string, count: number, createdAt: Date) => Promise<void>
  /** The user's password-reset rows (id = the token's SHA-256). */
  passwordResetsOf: (userId: string) => Promise<{ id: string, expiresAt: Date }[]>
  setPasswordResetExpiry: (id: string, expiresAt: Date) => Promise<void>
  /** The reason session_end holds for this public session id, if any. */
  sessionEndReason: (publicId: string) => Promise<string | undefined>
  /** Inserts `count` sessions of a user directly, all expiring at `expiresAt`, in one transaction. */
  seedSessions: (userId: string, count: number, expiresAt: Date) => Promise<void>
  /** Inserts `count` throttling counters directly, all expiring at `expire`. */
  seedRateLimits: (count: number, expire: Date) => Promise<void>
  /** Inserts `count` session_end rows directly (random public ids, reason `revoked`), all ended at `endedAt`. */
  seedSessionEnds: (count: number, endedAt: Date) => Promise<void>
  /** The query plan of a statement (not run), as text. */
  explain: (query: { sql: string, params: unknown[] }) => Promise<string>
  /** Every stored row of every table, as text, to search for what must not be there. */
  dump: () => Promise<string>
  /** Renames a table behind the server's back (both dialects take `alter table … rename to …`). */
  renameTable: (from: string, to: string) => Promise<void>
  /** Holds the session table's write lock until the returned function is called. */
  holdWriteLock: () => Promise<() => Promise<void>>
  /** Gives the user a password reset and a security event, besides their sessions. */
  seedAccountRows: (userId: string) => Promise<void>
  /** The user's rows in each table that refers to them. */
  rowsOfUser: (userId: string) => Promise<Record<'session' | 'password_reset' | 'security_event', number>>
  /** Deletes the user's row only (foreign keys enforced), leaving the rest to the schema. */
  deleteUser: (id: string) => Promise<void>
  /** The schema (tables, columns, indexes, constraints) and the applied migrations, as text. */
  describeSchema: () => Promise<string>
  /** Makes every insert into the session table fail (a trigger) until the returned function is called. */
  failSessionInserts: () => Promise<() => Promise<void>>
  /** What the server logs when a statement gave up waiting for that lock. */
  lockTimeoutLog: RegExp
  close: () => Promise<void>
}

/** The message of the failure failSessionInserts injects. */
export const INJECTED_FAILURE = 'injected session insert failure'

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

/** Why this run's backend cannot be had (a skip), or undefined: a file's probe before its tests. */
export async function backendSkipReason(): Promise<string | undefined> {
  const probe = await createBackend()
  if ('skip' in probe) return probe.skip
  await probe.close()
  return undefined
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
    dump: async () => {
      const tables = db().prepare('select name from sqlite_master where type = \'table\'').all() as { name: string }[]
      return JSON.stringify(tables.map(({ name }) => db().prepare(`select * from "${name}"`).all()))
    },
    securityEvents: async userId => (db().prepare('select * from security_event where user_id = ? order by id').all(userId) as Record<string, unknown>[]).map(row => ({
      type: String(row.type),
      sessionPublicId: row.session_public_id as string | null,
      ipAddress: row.ip_address as string | null,
      userAgent: row.user_agent as string | null,
      createdAt: new Date(Number(row.created_at) * 1000),
      throttleBucket: row.throttle_bucket as number | null,
    })),
    seedSecurityEvents: async (userId, count, createdAt) => {
      const insert = db().prepare('insert into security_event (user_id, type, created_at) values (?, ?, ?)')
      db().transaction(() => {
        for (let i = 0; i < count; i++) insert.run(userId, 'login', Math.floor(createdAt.getTime() / 1000))
      })()
    },
    passwordResetsOf: async userId => (db().prepare('select id, expires_at from password_reset where user_id = ?').all(userId) as { id: string, expires_at: number }[])
      .map(row => ({ id: row.id, expiresAt: new Date(row.expires_at * 1000) })),
    setPasswordResetExpiry: async (id, expiresAt) => {
      db().prepare('update password_reset set expires_at = ? where id = ?').run(Math.floor(expiresAt.getTime() / 1000), id)
    },
    sessionEndReason: async publicId => (db().prepare('select reason from session_end where public_id = ?').get(publicId) as { reason: string } | undefined)?.reason,
    seedSessions: async (userId, count, expiresAt) => {
      const insert = db().prepare('insert into session (id, user_id, expires_at, created_at) values (?, ?, ?, ?)')
      const expires = Math.floor(expiresAt.getTime() / 1000)
      const seed = randomBytes(8).toString('hex')
      db().transaction(() => {
        for (let i = 0; i < count; i++) insert.run(`${seed}-${i}`, userId, expires, expires - 60)
      })()
    },
    seedSessionEnds: async (count, endedAt) => {
      const insert = db().prepare('insert into session_end (public_id, reason, ended_at) values (?, \'revoked\', ?)')
      db().transaction(() => {
        for (let i = 0; i < count; i++) insert.run(randomBytes(16).toString('hex'), Math.floor(endedAt.getTime() / 1000))
      })()
    },
    seedRateLimits: async (count, expire) => {
      const insert = db().prepare('insert into rate_limit (key, points, expire) values (?, 1, ?)')
      const seed = randomBytes(8).toString('hex')
      db().transaction(() => {
        for (let i = 0; i < count; i++) insert.run(`seeded:${seed}-${i}`, expire.getTime())
      })()
    },
    explain: async ({ sql, params }) => JSON.stringify(db().prepare(`explain query plan ${sql}`).all(...params)),
    renameTable: async (from, to) => {
      db().exec(`alter table "${from}" rename to "${to}"`)
    },
    holdWriteLock: async () => {
      const locker = new Database(path)
      locker.exec('begin immediate')
      return async () => {
        locker.exec('rollback')
        locker.close()
      }
    },
    seedAccountRows: async (userId) => {
      const now = Math.floor(Date.now() / 1000)
      db().prepare('insert into password_reset (id, user_id, expires_at, created_at) values (?, ?, ?, ?)').run(randomBytes(32).toString('hex'), userId, now + 3600, now)
      db().prepare('insert into security_event (user_id, type, created_at) values (?, ?, ?)').run(userId, 'login', now)
    },
    rowsOfUser: async (userId) => {
      const count = (table: string) => (db().prepare(`select count(*) as n from ${table} where user_id = ?`).get(userId) as { n: number }).n
      return { session: count('session'), password_reset: count('password_reset'), security_event: count('security_event') }
    },
    deleteUser: async (id) => {
      db().pragma('foreign_keys = ON')
      db().prepare('delete from user where id = ?').run(id)
    },
    describeSchema: async () => JSON.stringify([
      db().prepare('select type, name, tbl_name, sql from sqlite_master where name not like \'sqlite_%\' order by name').all(),
      db().prepare('select hash, created_at from __drizzle_migrations order by id').all(),
    ]),
    failSessionInserts: async () => {
      db().exec(`create trigger fail_session_insert before insert on session begin select raise(abort, '${INJECTED_FAILURE}'); end`)
      return async () => {
        db().exec('drop trigger fail_session_insert')
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
    dump: async () => {
      const tables = await sql<{ name: string }[]>`select table_name as name from information_schema.tables where table_schema = 'public'`
      return JSON.stringify(await Promise.all(tables.map(({ name }) => sql.unsafe(`select * from "${name}"`))))
    },
    securityEvents: async userId => (await sql`select * from security_event where user_id = ${userId} order by id`).map(row => ({
      type: String(row.type),
      sessionPublicId: row.session_public_id as string | null,
      ipAddress: row.ip_address as string | null,
      userAgent: row.user_agent as string | null,
      createdAt: row.created_at as Date,
      throttleBucket: row.throttle_bucket as number | null,
    })),
    seedSecurityEvents: async (userId, count, createdAt) => {
      await sql`insert into security_event (user_id, type, created_at)
        select ${userId}, 'login', ${createdAt} from generate_series(1, ${count})`
    },
    passwordResetsOf: async userId => (await sql`select id, expires_at from password_reset where user_id = ${userId}`)
      .map(row => ({ id: row.id as string, expiresAt: row.expires_at as Date })),
    setPasswordResetExpiry: async (id, expiresAt) => {
      await sql`update password_reset set expires_at = ${expiresAt} where id = ${id}`
    },
    sessionEndReason: async publicId => (await sql`select reason from session_end where public_id = ${publicId}`)[0]?.reason as string | undefined,
    seedSessions: async (userId, count, expiresAt) => {
      const seed = randomBytes(8).toString('hex')
      await sql`insert into session (id, user_id, expires_at, created_at)
        select ${seed} || '-' || i, ${userId}, ${expiresAt}, ${expiresAt}::timestamptz - interval '1 minute'
        from generate_series(1, ${count}) as i`
      await sql`analyze session`
    },
    seedSessionEnds: async (count, endedAt) => {
      await sql`insert into session_end (public_id, reason, ended_at)
        select md5(random()::text || i), 'revoked', ${endedAt} from generate_series(1, ${count}) as i`
    },
    seedRateLimits: async (count, expire) => {
      const seed = randomBytes(8).toString('hex')
      await sql`insert into rate_limit (key, points, expire) select 'seeded:' || ${seed} || '-' || i, 1, ${expire.getTime()} from generate_series(1, ${count}) as i`
    },
    // The planner rightly prefers a sequential scan when most rows are expired; with it off, the
    // plan shows that the index serves this query.
    explain: async query => JSON.stringify(await sql.begin(async (tx) => {
      await tx`set local enable_seqscan = off`
      return tx.unsafe(`explain ${query.sql}`, query.params as postgres.ParameterOrJSON<never>[])
    })),
    renameTable: async (from, to) => {
      await sql.unsafe(`alter table "${from}" rename to "${to}"`)
    },
    holdWriteLock: async () => {
      const locker = await sql.reserve()
      await locker`begin`
      await locker`lock table session in exclusive mode`
      return async () => {
        await locker`rollback`
        locker.release()
      }
    },
    seedAccountRows: async (userId) => {
      await sql`insert into password_reset (id, user_id, expires_at, created_at) values (${randomBytes(32).toString('hex')}, ${userId}, now() + interval '1 hour', now())`
      await sql`insert into security_event (user_id, type, created_at) values (${userId}, 'login', now())`
    },
    rowsOfUser: async (userId) => {
      const count = async (table: string) => Number((await sql.unsafe(`select count(*) as n from ${table} where user_id = $1`, [userId]))[0]!.n)
      return { session: await count('session'), password_reset: await count('password_reset'), security_event: await count('security_event') }
    },
    deleteUser: async (id) => {
      await sql`delete from "user" where id = ${id}`
    },
    describeSchema: async () => JSON.stringify([
      await sql`select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns where table_schema = 'public' order by 1, 2`,
      await sql`select indexname, indexdef from pg_indexes where schemaname = 'public' order by 1`,
      await sql`select conname, pg_get_constraintdef(oid) as definition from pg_constraint where connamespace = 'public'::regnamespace order by 1`,
      await sql`select hash, created_at from drizzle.__drizzle_migrations order by id`,
    ]),
    failSessionInserts: async () => {
      await sql.unsafe(`create function fail_session_insert() returns trigger language plpgsql as $$ begin raise exception '${INJECTED_FAILURE}'; end $$`)
      await sql`create trigger fail_session_insert before insert on session for each row execute function fail_session_insert()`
      return async () => {
        await sql`drop trigger fail_session_insert on session`
        await sql`drop function fail_session_insert()`
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
