import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKEND, createBackend, type TestBackend } from '../support/backend'
import { call, signUpUser } from '../support/client'
import { startServer, type TestServer } from '../support/server'

const created = await createBackend()
const skip = 'skip' in created ? created.skip : undefined
let backend: TestBackend
let server: TestServer

beforeAll(async () => {
  if ('skip' in created) return
  backend = created
  server = await startServer({ DATABASE_URL: backend.databaseUrl })
})
afterAll(async () => {
  await server?.stop()
  await backend?.close()
})

const EXPIRED = 25_000

describe.skipIf(skip)(`npm run db:cleanup on ${BACKEND}${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('deletes every expired session in bounded batches and leaves live ones alone', async () => {
    const { user, cookie } = await signUpUser(server.url)
    await backend.seedSessions(user.id, EXPIRED, new Date(Date.now() - 60_000))
    await backend.seedSessions(user.id, 50, new Date(Date.now() + 3_600_000))
    expect(await backend.count('session')).toBe(EXPIRED + 51)

    const run = spawnSync('npm', ['run', '--silent', 'db:cleanup'], {
      env: { ...process.env, DATABASE_URL: backend.databaseUrl },
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(run.status, run.stderr).toBe(0)
    const report = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { deleted: number, batches: number }
    expect(report.deleted).toBe(EXPIRED)
    // 100 rows a batch, and one more that finds fewer and stops.
    expect(report.batches).toBe(EXPIRED / 100 + 1)
    expect(await backend.count('session')).toBe(51)
    expect((await call(server.url, '/api/auth/me', { cookie })).status).toBe(200)
  }, 60_000)

  it('finds expired sessions by a range scan of the expires_at index', async () => {
    expect(await backend.explainExpiredScan()).toMatch(/session_expires_at_idx/)
  })
})
