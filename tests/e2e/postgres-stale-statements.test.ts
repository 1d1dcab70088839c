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

/**
 * A server with `poolMax` connections on a database of its own, a client of the test's own on
 * that database (to change its schema as a migration would), and the calls the tests make.
 */
async function serverWithPool(poolMax: number) {
  const db = await createBackend() as TestBackend
  cleanups.push(() => db.close())
  const server = await startServer({ DATABASE_URL: db.databaseUrl, DATABASE_POOL_MAX: String(poolMax) })
  cleanups.push(() => server.stop())
  const admin = postgres(db.databaseUrl, { max: 2, onnotice: () => {} })
  cleanups.push(() => admin.end({ timeout: 5 }))
  return {
    server,
    admin,
    reauthenticate: (cookie: string) => call(server.url, '/api/auth/reauthenticate', { body: { password: PASSWORD }, cookie }),
    changePassword: (cookie: string, currentPassword: string, newPassword: string) =>
      call(server.url, '/api/auth/password', { body: { currentPassword, newPassword }, cookie }),
  }
}

const cookieOf = (response: Response) => `auth_session=${sessionSetCookie(response)!.value}`

describe.skipIf(skip)(`PostgreSQL statements made stale by a migration${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('a transaction whose kept statements a column type change made stale runs again: rotations answer 200, not 500', async () => {
    // One connection: the requests after the change meet the statements prepared before it.
    const { server, admin, reauthenticate, changePassword } = await serverWithPool(1)

    const { cookie } = await signUpUser(server.url)
    // Prepared on the server's connection here: the rotation's DELETE … RETURNING id, and the
    // password change's second one, of the user's other sessions (RETURNING id and times).
    const first = await reauthenticate(cookie)
    expect(first.status).toBe(200)
    const changed = await changePassword(cookieOf(first), PASSWORD, 'a second password, long enough')
    expect(changed.status).toBe(200)

    // What another instance's migration might do: both statements' result type changes.
    await admin`alter table session alter column id type varchar(64)`

    // Two stale statements in one transaction: it takes three runs.
    const changedBack = await changePassword(cookieOf(changed), 'a second password, long enough', PASSWORD)
    expect(changedBack.status, await changedBack.clone().text()).toBe(200)
    const current = await reauthenticate(cookieOf(changedBack))
    expect(current.status, await current.clone().text()).toBe(200)
    expect((await call(server.url, '/api/auth/me', { cookie: cookieOf(current) })).status).toBe(200)
    expect((await call(server.url, '/api/auth/me', { cookie: cookieOf(changedBack) })).status).toBe(401)
    expect(server.logs()).not.toMatch(/cached plan must not change result type/)
  }, 60_000)

  it('with a pool of two, each connection\'s stale copy is dropped in turn: the rotation answers 200', async () => {
    const { server, admin, reauthenticate } = await serverWithPool(2)

    const users = [await signUpUser(server.url), await signUpUser(server.url)]
    // Both of the server's connections prepare the rotation's DELETE … RETURNING id: the table
    // is locked until both rotations wait on it, each on its own connection.
    const held = await admin.reserve()
    await held`begin`
    await held`lock table session in access exclusive mode`
    const rotations = users.map(({ cookie }) => reauthenticate(cookie))
    const waitingUntil = Date.now() + 4_000
    while (Number((await admin`select count(*) as n from pg_locks where not granted and relation = 'session'::regclass`)[0]!.n) < 2) {
      expect(Date.now(), 'both rotations waiting on the lock').toBeLessThan(waitingUntil)
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    await held`commit`
    held.release()
    const rotated = await Promise.all(rotations)
    expect(rotated.map(r => r.status)).toEqual([200, 200])

    await admin`alter table session alter column id type varchar(64)`

    // Runs fail on the connections' stale copies until one runs on a connection that has dropped
    // its copy: two or three runs, by the order in which the pool hands out its connections.
    const again = await reauthenticate(cookieOf(rotated[0]!))
    expect(again.status, await again.clone().text()).toBe(200)
    expect((await call(server.url, '/api/auth/me', { cookie: cookieOf(again) })).status).toBe(200)
  }, 60_000)
})
