// How long does `db:cleanup` hold the event loop while it empties a table of 1M expired sessions?
// Runs the server's own cleanup code in this process, on SQLite and (when reachable) PostgreSQL,
// with an event-loop delay monitor running alongside. `node bench/cleanup.mjs`; BENCH_CLEANUP_ROWS
// changes the row count, BENCH_CLEANUP_BATCH the batch size.
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import Database from 'better-sqlite3'
import postgres from 'postgres'
import { importServerModule } from '../scripts/server-modules.mjs'

const ROWS = Number(process.env.BENCH_CLEANUP_ROWS ?? 1_000_000)
// BENCH_CLEANUP_DIR puts the SQLite file elsewhere (say /dev/shm, to tell disk stalls from CPU).
const SQLITE_DIR = process.env.BENCH_CLEANUP_DIR ?? tmpdir()
// The cleanup's own batch size unless BENCH_CLEANUP_BATCH says otherwise.
const BATCH = process.env.BENCH_CLEANUP_BATCH ? { batchSize: Number(process.env.BENCH_CLEANUP_BATCH) } : {}
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

const { useStore, closeStore } = await importServerModule('utils/db.ts')
const { deleteExpiredSessions } = await importServerModule('database/cleanup.ts')

/** Opens (and migrates) the store DATABASE_URL names, seeds ROWS expired sessions, cleans them. */
async function measure(databaseUrl, seed) {
  process.env.DATABASE_URL = databaseUrl
  const store = await useStore()
  const seedStarted = performance.now()
  await seed()
  const seedSeconds = (performance.now() - seedStarted) / 1000

  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  const started = performance.now()
  const report = await deleteExpiredSessions(store, BATCH)
  const seconds = (performance.now() - started) / 1000
  delay.disable()
  await closeStore()
  if (report.deleted !== ROWS) throw new Error(`deleted ${report.deleted} of ${ROWS} expired sessions`)
  return {
    rows: ROWS,
    seedSeconds: round(seedSeconds),
    cleanupSeconds: round(seconds),
    batches: report.batches,
    longestBatchMs: round(report.longestBatchMs),
    eventLoopDelayMaxMs: round(delay.max / 1e6),
    eventLoopDelayP99Ms: round(delay.percentile(99) / 1e6),
    eventLoopDelayP999Ms: round(delay.percentile(99.9) / 1e6),
  }
}

const round = value => Math.round(value * 100) / 100
const expiredAt = Math.floor(Date.now() / 1000) - 3600

async function sqlite() {
  const dir = mkdtempSync(join(SQLITE_DIR, 'bench-cleanup-'))
  const path = join(dir, 'app.db')
  try {
    return await measure(path, () => {
      const db = new Database(path)
      const insert = db.prepare('insert into session (id, user_id, expires_at, created_at) values (?, ?, ?, ?)')
      db.transaction(() => {
        db.prepare('insert into user (id, email, password_hash, created_at) values (?, ?, ?, ?)').run('bench-user', 'bench@example.com', 'x', expiredAt)
        for (let i = 0; i < ROWS; i++) insert.run(randomBytes(32).toString('hex'), 'bench-user', expiredAt, expiredAt - 60)
      })()
      db.close()
    })
  }
  finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function postgresql() {
  const admin = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {}, connect_timeout: 3 })
  try {
    await admin`select 1`
  }
  catch (error) {
    await admin.end()
    return { skipped: `no PostgreSQL at ${new URL(POSTGRES_ADMIN_URL).host} (${error.code ?? error.message})` }
  }
  const name = `bench_cleanup_${randomBytes(4).toString('hex')}`
  await admin.unsafe(`create database ${name}`)
  const url = new URL(POSTGRES_ADMIN_URL)
  url.pathname = `/${name}`
  try {
    return await measure(url.href, async () => {
      const sql = postgres(url.href, { max: 1, onnotice: () => {} })
      const expires = new Date(expiredAt * 1000)
      await sql.begin(async (tx) => {
        await tx`insert into "user" (id, email, password_hash, created_at) values ('bench-user', 'bench@example.com', 'x', ${expires})`
        await tx`insert into session (id, user_id, expires_at, created_at)
          select md5(i::text) || md5((i + 1)::text), 'bench-user', ${expires}, ${expires}
          from generate_series(1, ${ROWS}) as i`
      })
      await sql`analyze session`
      await sql.end()
    })
  }
  finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`)
    await admin.end()
  }
}

const results = {
  date: new Date().toISOString(),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version },
  sqlite: await sqlite(),
  postgres: await postgresql(),
}
console.table({ sqlite: results.sqlite, postgres: results.postgres })
mkdirSync('bench/results', { recursive: true })
writeFileSync('bench/results/cleanup.json', `${JSON.stringify(results, null, 2)}\n`)
console.log('written to bench/results/cleanup.json')
