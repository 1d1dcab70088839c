import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKEND, createBackend, type TestBackend } from '../support/backend'
import { call, signUpUser } from '../support/client'
import { startServer, type TestServer } from '../support/server'

const created = await createBackend()
const skip = 'skip' in created ? created.skip : undefined
let backend: TestBackend
let server: TestServer | undefined
let offHour: TestServer | undefined

const DAY = 24 * 3600 * 1000

// Time for the server to start before the task is due; the server runs in UTC (TZ below), so
// that minute 17 is the same minute here and there whatever the machine's zone.
const LEAD_MS = 8_000

/** The next minute 17 of an hour (UTC), when the hourly db:cleanup task is due. */
function nextMinute17(now = new Date()): number {
  const due = new Date(now)
  due.setUTCMinutes(17, 0, 0)
  if (due.getTime() <= now.getTime()) due.setUTCHours(due.getUTCHours() + 1)
  return due.getTime()
}

/** A production server on the backend whose clock reads `clockAt` as it starts, with Nitro's scheduler on. */
const serverWithClockAt = (clockAt: number) => startServer({
  DATABASE_URL: backend.databaseUrl,
  // Vitest's TEST=true, which every other test server inherits, turns Nitro's scheduler off.
  TEST: '',
  TZ: 'UTC',
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${resolve('tests/support/shifted-clock.mjs')}`.trim(),
  CLOCK_SHIFT_TO: String(clockAt),
})

beforeAll(() => {
  if (!('skip' in created)) backend = created
})
afterAll(async () => {
  await offHour?.stop()
  await server?.stop()
  await backend?.close()
})

describe.skipIf(skip)(`the scheduled db:cleanup task on ${BACKEND}${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('fires at minute 17 in the production server, deletes expired sessions only, and does not fire at minute 18', async () => {
    // A first server creates the tables and a user; the sessions are seeded before the clock moves.
    const setup = await startServer({ DATABASE_URL: backend.databaseUrl })
    const { user, cookie } = await signUpUser(setup.url).finally(() => setup.stop())
    await backend.seedSessions(user.id, 300, new Date(Date.now() - DAY))
    await backend.seedSessions(user.id, 20, new Date(Date.now() + 3 * DAY))

    // At the same moment, a second server's clock reaches minute 18 instead, when an hourly
    // task must not run: it must not clean up (an every-minute schedule would).
    const due = nextMinute17()
    ;[server, offHour] = await Promise.all([serverWithClockAt(due - LEAD_MS), serverWithClockAt(due + 60_000 - LEAD_MS)])
    // The second server's clock was set as its process started, before it listened: by this
    // moment of ours, it reads at least 2 s past minute 18.
    const offHourPastMinute18 = Date.now() + LEAD_MS + 2_000
    const logs = await server.waitForLog('[db:cleanup] deleted', LEAD_MS + 10_000)
    expect(logs).toMatch(/\[db:cleanup\] deleted 300 expired sessions in 4 batches/)
    expect(await backend.count('session')).toBe(21)
    expect((await call(server.url, '/api/auth/me', { cookie })).status).toBe(200)

    await new Promise(resolve => setTimeout(resolve, offHourPastMinute18 - Date.now()))
    expect(offHour.logs()).not.toContain('[db:cleanup]')
  }, LEAD_MS + 30_000)
})
