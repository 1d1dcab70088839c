import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKEND, createBackend, type TestBackend } from '../support/backend'
import { call, callFrom, newLoopbackAddress, signUpUser, uniqueEmail, PASSWORD, sessionSetCookie } from '../support/client'
import { startServer, type TestServer } from '../support/server'
import { sha256Hex } from '../support/sqlite'

// Two server processes on one database: what a multi-instance deployment looks like.
const created = await createBackend()
const skip = 'skip' in created ? created.skip : undefined
let backend: TestBackend
let a: TestServer
let b: TestServer

beforeAll(async () => {
  if ('skip' in created) return
  backend = created
  // Started together, as cold starts are: the migration lock (PostgreSQL) or SQLite's own
  // locking keeps them from migrating over each other.
  ;[a, b] = await Promise.all([startServer({ DATABASE_URL: backend.databaseUrl }), startServer({ DATABASE_URL: backend.databaseUrl })])
})
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()])
  await backend?.close()
})

describe.skipIf(skip)(`two server processes on one ${BACKEND} database${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('a session started on A and ended on B is rejected by A at once', async () => {
    const email = uniqueEmail()
    await signUpUser(a.url, email)
    const login = await call(a.url, '/api/auth/login', { body: { email, password: PASSWORD } })
    expect(login.status).toBe(200)
    const cookie = `auth_session=${sessionSetCookie(login)!.value}`
    expect((await call(a.url, '/api/auth/me', { cookie })).status).toBe(200)
    expect((await call(b.url, '/api/auth/me', { cookie })).status).toBe(200)

    const logout = await call(b.url, '/api/auth/logout', { method: 'POST', cookie })
    expect(await logout.json()).toBe(true)

    expect((await call(a.url, '/api/auth/me', { cookie })).status).toBe(401)
    expect(await (await call(a.url, '/api/auth/logout', { method: 'POST', cookie })).json()).toBe(false)
  })

  it('gives exactly one true to concurrent logouts of one cookie spread over both', async () => {
    for (let round = 0; round < 5; round++) {
      const { token, cookie } = await signUpUser(a.url)
      const results = await Promise.all(Array.from({ length: 16 }, async (_, i) => {
        const response = await call(i % 2 ? a.url : b.url, '/api/auth/logout', { method: 'POST', cookie })
        expect(response.status).toBe(200)
        return response.json()
      }))
      expect(results.filter(r => r === true)).toHaveLength(1)
      expect(results.filter(r => r === false)).toHaveLength(15)
      expect(await backend.sessionById(sha256Hex(token))).toBeUndefined()
    }
  })

  it('counts failed logins through one against logins on the other, with no Redis', async () => {
    const email = uniqueEmail()
    await signUpUser(a.url, email)
    // The default limit, 10, alternately through A and B and each from an address of its own:
    // only the per-email count, shared through the database, can reach it.
    for (let i = 0; i < 10; i++) {
      const response = await callFrom(newLoopbackAddress(), (i % 2 ? b : a).url, '/api/auth/login', { body: { email, password: 'wrong password' } })
      expect(response.status).toBe(401)
    }
    for (const server of [a, b]) {
      const refused = await callFrom(newLoopbackAddress(), server.url, '/api/auth/login', { body: { email, password: PASSWORD } })
      expect(refused.status).toBe(429)
    }
    // Likewise per address: ten failures through A for ten emails lock the address out on B.
    const from = newLoopbackAddress()
    for (let i = 0; i < 10; i++) expect((await callFrom(from, a.url, '/api/auth/login', { body: { email: uniqueEmail(), password: 'wrong password' } })).status).toBe(401)
    expect((await callFrom(from, b.url, '/api/auth/login', { body: { email: uniqueEmail(), password: 'wrong password' } })).status).toBe(429)
  })

  it.runIf(BACKEND === 'postgres')('never loads the SQLite driver on the PostgreSQL path', async () => {
    for (const server of [a, b]) {
      expect(readFileSync(`/proc/${server.pid}/maps`, 'utf8')).not.toMatch(/better-sqlite3/)
    }
  })

  it.runIf(BACKEND === 'sqlite')('loads the SQLite driver on the SQLite path (the check above can fail)', async () => {
    expect(readFileSync(`/proc/${a.pid}/maps`, 'utf8')).toMatch(/better-sqlite3/)
  })
})
