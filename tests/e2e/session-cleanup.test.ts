import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import type * as Cleanup from '../../server/database/cleanup'
import type * as Db from '../../server/utils/db'
import { importServerModule } from '../../scripts/server-modules.mjs'
import { call, signUpUser, uniqueEmail } from '../support/client'
import { onBackend, serveBackend } from '../support/server'

const DAY = 24 * 60 * 60 * 1000

const api = await serveBackend()
const { skip } = api

const EXPIRED = 25_000

/** The app's own cleanup code and store, in this process, on the test's database. */
async function appCleanup() {
  process.env.DATABASE_URL = api.backend.databaseUrl
  const { useStore, closeStore } = await importServerModule('utils/db.ts') as typeof Db
  const cleanup = await importServerModule('database/cleanup.ts') as typeof Cleanup
  return { ...cleanup, store: await useStore(), closeStore }
}

describe.skipIf(skip)(onBackend('npm run db:cleanup', skip), () => {
  it('deletes every expired session in bounded batches and leaves live ones alone', async () => {
    const { user, cookie } = await signUpUser(api.server.url)
    await api.backend.seedSessions(user.id, EXPIRED, new Date(Date.now() - 60_000))
    // Live for two more minutes only: a cleanup that reached even a little past now would take them.
    await api.backend.seedSessions(user.id, 50, new Date(Date.now() + 120_000))
    expect(await api.backend.count('session')).toBe(EXPIRED + 51)

    const run = spawnSync('npm', ['run', '--silent', 'db:cleanup'], {
      env: { ...process.env, DATABASE_URL: api.backend.databaseUrl },
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(run.status, run.stderr).toBe(0)
    const { sessions: report } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { sessions: { deleted: number, batches: number } }
    expect(report.deleted).toBe(EXPIRED)
    // 100 rows a batch, and one more that finds fewer and stops.
    expect(report.batches).toBe(EXPIRED / 100 + 1)
    expect(await api.backend.count('session')).toBe(51)
    expect((await call(api.server.url, '/api/auth/me', { cookie })).status).toBe(200)
  }, 60_000)

  it('forgets why sessions ended once that is over 30 days old, and remembers it until then', async () => {
    const before = await api.backend.count('session_end')
    await api.backend.seedSessionEnds(250, new Date(Date.now() - 31 * DAY))
    await api.backend.seedSessionEnds(20, new Date(Date.now() - 29 * DAY))
    const run = spawnSync('npm', ['run', '--silent', 'db:cleanup'], {
      env: { ...process.env, DATABASE_URL: api.backend.databaseUrl },
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(run.status, run.stderr).toBe(0)
    const report = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { sessionEnds: { deleted: number, batches: number } }
    expect(report.sessionEnds).toMatchObject({ deleted: 250, batches: 3 })
    expect(await api.backend.count('session_end')).toBe(before + 20)
  }, 60_000)

  it('deletes expired throttling counters and leaves live ones alone', async () => {
    await api.backend.seedRateLimits(250, new Date(Date.now() - 1_000))
    // A failed login: a live counter per email and one per address.
    expect((await call(api.server.url, '/api/auth/login', { body: { email: uniqueEmail(), password: 'wrong password' } })).status).toBe(401)
    const live = await api.backend.count('rate_limit') - 250

    const run = spawnSync('npm', ['run', '--silent', 'db:cleanup'], {
      env: { ...process.env, DATABASE_URL: api.backend.databaseUrl },
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(run.status, run.stderr).toBe(0)
    const report = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { rateLimits: { deleted: number } }
    expect(report.rateLimits.deleted).toBe(250)
    expect(live).toBeGreaterThanOrEqual(2)
    expect(await api.backend.count('rate_limit')).toBe(live)
  }, 60_000)

  it('finds expired sessions by a range scan of the expires_at index: the plan of the app\'s own batch delete', async () => {
    const { deleteExpiredBatch, store, closeStore } = await appCleanup()
    try {
      const query = deleteExpiredBatch(store, new Date(), 100).toSQL()
      expect(query.sql).toMatch(/^delete from/i)
      expect(await api.backend.explain(query)).toMatch(/session_expires_at_idx/)
    }
    finally {
      await closeStore()
    }
  })

  it('yields to the event loop between batches', async () => {
    const { user } = await signUpUser(api.server.url)
    await api.backend.seedSessions(user.id, 1_000, new Date(Date.now() - 60_000))
    const { deleteExpiredSessions, store, closeStore } = await appCleanup()
    try {
      // Counts the turns of the event loop that other work (requests) gets while cleanup runs.
      let turns = 0
      let counting = true
      const count = () => {
        turns++
        if (counting) setImmediate(count)
      }
      setImmediate(count)
      const report = await deleteExpiredSessions(store, { batchSize: 100 })
      counting = false
      expect(report.batches).toBe(11)
      // SQLite runs every batch synchronously: without a yield between them, not one turn.
      expect(turns).toBeGreaterThanOrEqual(report.batches - 1)
    }
    finally {
      await closeStore()
    }
  })
})
