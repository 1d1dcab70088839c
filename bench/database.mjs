// Rows written behind the server's back, as the e2e tests do: the server under test runs on the
// same SQLite file or PostgreSQL database, and has already created the tables (migrations run
// when it starts). Every seeding is one transaction.
import { createHash, randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import postgres from 'postgres'
import { benchToken, sessionIdOf } from './tokens.mjs'

/** Sessions are spread over this many users, so that no index holds one user a million times. */
const USERS = 1000
const SESSION_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000

const userId = i => `bench-user-${i % USERS}`

/**
 * A store for the benchmark's own writes:
 * - `insertSessions({ tokens, fillers })` adds, in one transaction, an active session for each
 *   token `tokens.seed`/0..count-1 (the ones requests will name) and `fillers` more sessions
 *   whose tokens nobody knows (they only make the table bigger);
 * - `countSessions()`.
 */
export async function openSqliteSeeder(path) {
  const db = new Database(path)
  db.pragma('busy_timeout = 5000')
  const insertUser = db.prepare('insert or ignore into user (id, email, password_hash, created_at) values (?, ?, ?, ?)')
  const insertSession = db.prepare('insert into session (id, user_id, expires_at, created_at) values (?, ?, ?, ?)')
  const now = () => Math.floor(Date.now() / 1000)
  db.transaction(() => {
    for (let i = 0; i < USERS; i++) insertUser.run(userId(i), `${userId(i)}@bench.invalid`, 'not a password hash', now())
  })()

  return {
    async insertSessions({ tokens, fillers = 0 }) {
      const created = now()
      const expires = created + SESSION_LIFETIME_MS / 1000
      const fillerSeed = randomBytes(8).toString('hex')
      db.transaction(() => {
        for (let i = 0; i < (tokens?.count ?? 0); i++) insertSession.run(sessionIdOf(benchToken(tokens.seed, i)), userId(i), expires, created)
        for (let i = 0; i < fillers; i++) insertSession.run(fillerId(fillerSeed, i), userId(i), expires, created)
      })()
      // Leaves the file as a server would find it in steady state, not behind a huge WAL.
      db.pragma('wal_checkpoint(TRUNCATE)')
    },
    countSessions: async () => db.prepare('select count(*) as n from session').get().n,
    close: async () => db.close(),
  }
}

function fillerId(seed, i) {
  return createHash('sha256').update(`filler:${seed}:${i}`).digest('hex')
}

/** The same as openSqliteSeeder, on PostgreSQL. */
export async function openPostgresSeeder(url) {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  await sql`insert into "user" (id, email, password_hash, created_at)
    select 'bench-user-' || i, 'bench-user-' || i || '@bench.invalid', 'not a password hash', now()
    from generate_series(0, ${USERS - 1}) as i
    on conflict do nothing`

  return {
    async insertSessions({ tokens, fillers = 0 }) {
      const created = new Date()
      const expires = new Date(created.getTime() + SESSION_LIFETIME_MS)
      const ids = Array.from({ length: tokens?.count ?? 0 }, (_, i) => sessionIdOf(benchToken(tokens.seed, i)))
      const fillerSeed = randomBytes(8).toString('hex')
      await sql.begin(async (tx) => {
        await tx`insert into session (id, user_id, expires_at, created_at)
          select id, 'bench-user-' || ((n - 1) % ${USERS}), ${expires}, ${created}
          from unnest(${ids}::text[]) with ordinality as t(id, n)`
        // Fillers are made by the database itself, in one statement.
        await tx`insert into session (id, user_id, expires_at, created_at)
          select encode(sha256(convert_to(${fillerSeed} || ':' || i, 'UTF8')), 'hex'), 'bench-user-' || (i % ${USERS}), ${expires}, ${created}
          from generate_series(1, ${fillers}) as i`
      })
      // Dead rows of earlier runs cleaned up and fresh planner statistics, as autovacuum would
      // leave the table: a run then measures the table's size, not a vacuum running beside it.
      await sql`vacuum analyze session`
    },
    countSessions: async () => Number((await sql`select count(*) as n from session`)[0].n),
    close: () => sql.end({ timeout: 5 }),
  }
}

/**
 * A database of its own on the PostgreSQL server `adminUrl` points at, or null when none is
 * reachable there. `drop()` removes it.
 */
export async function createPostgresDatabase(adminUrl) {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 3 })
  const name = `auth_bench_${randomBytes(6).toString('hex')}`
  try {
    await admin.unsafe(`create database ${name}`)
  }
  catch (error) {
    await admin.end({ timeout: 1 })
    if (error.code === 'ECONNREFUSED' || error.code === 'CONNECT_TIMEOUT') return null
    throw error
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.href,
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end({ timeout: 5 })
    },
  }
}
