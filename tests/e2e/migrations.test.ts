import { spawnSync } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { BACKEND, backendSkipReason, createBackend, type TestBackend } from '../support/backend'
import { call, PASSWORD, signUpUser } from '../support/client'
import { startServer, type TestServer } from '../support/server'

// `npm run db:migrate` (drizzle-kit) and the server's own migration at start must agree: either
// may come first on a database, and the other then finds nothing left to do.

const skip = await backendSkipReason()

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function database(): Promise<TestBackend> {
  const created = await createBackend() as TestBackend
  cleanups.push(() => created.close())
  return created
}

/** A server on the database whose first signup succeeds: its migration at start has finished. */
async function serverOn(db: TestBackend): Promise<TestServer> {
  const server = await startServer({ DATABASE_URL: db.databaseUrl })
  cleanups.push(() => server.stop())
  const { user } = await signUpUser(server.url)
  expect(user.id).toBeTruthy()
  return server
}

function dbMigrate(db: TestBackend) {
  const run = spawnSync('npm', ['run', '--silent', 'db:migrate'], { env: { ...process.env, DATABASE_URL: db.databaseUrl }, encoding: 'utf8', timeout: 60_000 })
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0)
}

describe.skipIf(skip)(`migrations on ${BACKEND}${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('npm run db:migrate and the server\'s own migration make the same schema, and each accepts the other\'s', async () => {
    // The server first, then db:migrate: nothing left to apply, nothing changed.
    const byServer = await database()
    const first = await serverOn(byServer)
    const schema = await byServer.describeSchema()
    expect(schema).toMatch(/session_expires_at_idx/)
    dbMigrate(byServer)
    expect(await byServer.describeSchema()).toBe(schema)
    expect(first.logs()).not.toMatch(/could not open the database/)

    // db:migrate first, then the server: the same schema and records, and the server starts on it.
    const byCommand = await database()
    dbMigrate(byCommand)
    expect(await byCommand.describeSchema()).toBe(schema)
    const second = await serverOn(byCommand)
    expect(await byCommand.describeSchema()).toBe(schema)
    expect(second.logs()).not.toMatch(/could not open the database/)
  }, 60_000)

  it('deleting a user deletes their sessions, password resets and security events (ON DELETE CASCADE)', async () => {
    const db = await database()
    const server = await serverOn(db)
    const { user } = await signUpUser(server.url)
    const login = await call(server.url, '/api/auth/login', { body: { email: user.email, password: PASSWORD } })
    expect(login.status).toBe(200)
    await db.seedAccountRows(user.id)
    // The seeded reset and event, besides the server's own rows (two sessions; the sign-up's and
    // log-in's security events).
    expect(await db.rowsOfUser(user.id)).toEqual({ session: 2, password_reset: 1, security_event: 3 })

    await db.deleteUser(user.id)
    expect(await db.userById(user.id)).toBeUndefined()
    expect(await db.rowsOfUser(user.id)).toEqual({ session: 0, password_reset: 0, security_event: 0 })
  })
})
