import postgres from 'postgres'
import { afterEach, describe, expect, it } from 'vitest'
import { backendSkipReason, createBackend, type TestBackend } from '../support/backend'
import { call, PASSWORD, sessionSetCookie, signUpUser } from '../support/client'
import { startServer } from '../support/server'

// On PostgreSQL the server keeps its statements prepared per connection. A migration run by a
// newer instance can change the type of a column a kept statement returns, under an instance
// still running the old code (a rolling deploy): PostgreSQL then refuses the statement once
// ("cached plan must not change result type"). Inside a transaction that failure aborts the
// transaction, so the server must run the transaction again rather than answer 500
// (server/database/postgres.ts).

const skip = await backendSkipReason()

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe.skipIf(skip)(`PostgreSQL statements made stale by a migration${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('a transaction whose kept statement a column type change made stale runs again: the rotation answers 200, not 500', async () => {
    const db = await createBackend() as TestBackend
    cleanups.push(() => db.close())
    // One connection: the second rotation meets the statements the first one prepared.
    const server = await startServer({ DATABASE_URL: db.databaseUrl, DATABASE_POOL_MAX: '1' })
    cleanups.push(() => server.stop())
    const reauthenticate = (cookie: string) => call(server.url, '/api/auth/reauthenticate', { body: { password: PASSWORD }, cookie })

    const { cookie } = await signUpUser(server.url)
    // The rotation's DELETE … RETURNING id is prepared on the server's connection here.
    const first = await reauthenticate(cookie)
    expect(first.status).toBe(200)
    const rotated = `auth_session=${sessionSetCookie(first)!.value}`

    // What another instance's migration might do: the statement's result type changes.
    const admin = postgres(db.databaseUrl, { max: 1, onnotice: () => {} })
    cleanups.push(() => admin.end({ timeout: 5 }))
    await admin`alter table session alter column id type varchar(64)`

    const second = await reauthenticate(rotated)
    expect(second.status, await second.clone().text()).toBe(200)
    const current = `auth_session=${sessionSetCookie(second)!.value}`
    expect((await call(server.url, '/api/auth/me', { cookie: current })).status).toBe(200)
    expect((await call(server.url, '/api/auth/me', { cookie: rotated })).status).toBe(401)
    expect(server.logs()).not.toMatch(/cached plan must not change result type/)
  }, 60_000)
})
