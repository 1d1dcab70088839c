import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { call, signUpUser } from '../support/client'
import { onBackend, serveBackend } from '../support/server'

const api = await serveBackend()
const { skip } = api

const EXPIRED = 25_000

describe.skipIf(skip)(onBackend('npm run db:cleanup', skip), () => {
  it('deletes every expired session in bounded batches and leaves live ones alone', async () => {
    const { user, cookie } = await signUpUser(api.server.url)
    await api.backend.seedSessions(user.id, EXPIRED, new Date(Date.now() - 60_000))
    await api.backend.seedSessions(user.id, 50, new Date(Date.now() + 3_600_000))
    expect(await api.backend.count('session')).toBe(EXPIRED + 51)

    const run = spawnSync('npm', ['run', '--silent', 'db:cleanup'], {
      env: { ...process.env, DATABASE_URL: api.backend.databaseUrl },
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(run.status, run.stderr).toBe(0)
    const report = (JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { sessions: { deleted: number, batches: number } }).sessions
    expect(report.deleted).toBe(EXPIRED)
    // 100 rows a batch, and one more that finds fewer and stops.
    expect(report.batches).toBe(EXPIRED / 100 + 1)
    expect(await api.backend.count('session')).toBe(51)
    expect((await call(api.server.url, '/api/auth/me', { cookie })).status).toBe(200)
  }, 60_000)

  it('finds expired sessions by a range scan of the expires_at index', async () => {
    expect(await api.backend.explainExpiredScan()).toMatch(/session_expires_at_idx/)
  })
})
