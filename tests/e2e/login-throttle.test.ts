import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBackend, type TestBackend } from '../support/backend'
import { callFrom, newLoopbackAddress, PASSWORD, signUpUser, uniqueEmail } from '../support/client'
import { onBackend, startServer, type TestServer } from '../support/server'

const LIMIT = 3

const created = await createBackend()
const skip = 'skip' in created ? created.skip : undefined
let backend: TestBackend
const servers: TestServer[] = []
beforeAll(() => {
  if (!('skip' in created)) backend = created
})
afterAll(async () => {
  await Promise.all(servers.map(s => s.stop()))
  await backend?.close()
})

/** A server on this file's database; every test sends from addresses of its own, so they do not share counts. */
async function server(env: Record<string, string> = {}) {
  const started = await startServer({ DATABASE_URL: backend.databaseUrl, NUXT_AUTH_LOGIN_MAX_FAILURES: String(LIMIT), ...env })
  servers.push(started)
  return started
}

const login = (s: TestServer, from: string, email: string, password: string, headers?: Record<string, string>) =>
  callFrom(from, s.url, '/api/auth/login', { body: { email, password }, headers })

const statuses = (responses: Response[]) => responses.map(r => r.status)

describe.skipIf(skip)(onBackend('login throttling', skip), () => {
  let s: TestServer
  beforeAll(async () => {
    s = await server()
  })

  it('locks one email out after the limit, from any address, even with the right password', async () => {
    const email = uniqueEmail()
    await signUpUser(s.url, email)
    // Each failure from another address: only the per-email count can reach the limit.
    for (let i = 0; i < LIMIT; i++) expect((await login(s, newLoopbackAddress(), email, 'wrong password')).status).toBe(401)

    const blocked = await login(s, newLoopbackAddress(), email, PASSWORD)
    expect(blocked.status).toBe(429)
    // The window is the default 900 s and began with the first failure a moment ago.
    const retryAfter = Number(blocked.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(900 - 30)
    expect(retryAfter).toBeLessThanOrEqual(900)
    expect(blocked.headers.get('cache-control')).toBe('no-store')
    expect((await blocked.json() as { statusCode: number }).statusCode).toBe(429)
    // Another email from the same addresses is not affected.
    expect((await login(s, newLoopbackAddress(), uniqueEmail(), 'wrong password')).status).toBe(401)
  })

  it('locks one address out after the limit, across emails, unknown ones included', async () => {
    const from = newLoopbackAddress()
    for (let i = 0; i < LIMIT; i++) expect((await login(s, from, uniqueEmail(), 'wrong password')).status).toBe(401)
    const blocked = await login(s, from, uniqueEmail(), 'wrong password')
    expect(blocked.status).toBe(429)
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(900 - 30)
    // The same emails from another address are not affected.
    expect((await login(s, newLoopbackAddress(), uniqueEmail(), 'wrong password')).status).toBe(401)
  })

  it('lets no more than the limit of 20 concurrent wrong passwords for one email be checked', async () => {
    const email = uniqueEmail()
    await signUpUser(s.url, email)
    const responses = await Promise.all(Array.from({ length: 20 }, () => login(s, newLoopbackAddress(), email, 'wrong password')))
    const checked = statuses(responses).filter(status => status === 401)
    expect(checked.length).toBeGreaterThan(0)
    expect(checked.length).toBeLessThanOrEqual(LIMIT)
    expect(statuses(responses).filter(status => status === 429)).toHaveLength(20 - checked.length)
  })

  it('does not count successful logins', async () => {
    const from = newLoopbackAddress()
    const { user } = await signUpUser(s.url)
    for (let i = 0; i < 2 * LIMIT; i++) expect((await login(s, from, user.email, PASSWORD)).status).toBe(200)
    // Still the whole limit left, for the email and for the address.
    for (let i = 0; i < LIMIT; i++) expect((await login(s, from, user.email, 'wrong password')).status).toBe(401)
    expect((await login(s, from, user.email, PASSWORD)).status).toBe(429)
  })

  it('takes the address from X-Forwarded-For only when NUXT_AUTH_TRUST_PROXY=true', async () => {
    const from = newLoopbackAddress()
    for (let i = 0; i < LIMIT; i++) await login(s, from, uniqueEmail(), 'wrong password', { 'x-forwarded-for': `203.0.113.${i}` })
    expect((await login(s, from, uniqueEmail(), 'wrong password', { 'x-forwarded-for': '203.0.113.99' })).status).toBe(429)

    const proxied = await server({ NUXT_AUTH_TRUST_PROXY: 'true' })
    const proxy = newLoopbackAddress()
    const client = `198.51.${randomBytes(1)[0]}.1`
    // The proxy appends the peer it saw; what the client wrote before that is not believed.
    for (let i = 0; i < LIMIT; i++) await login(proxied, proxy, uniqueEmail(), 'wrong password', { 'x-forwarded-for': `192.0.2.${i}, ${client}` })
    expect((await login(proxied, proxy, uniqueEmail(), 'wrong password', { 'x-forwarded-for': `192.0.2.77, ${client}` })).status).toBe(429)
    expect((await login(proxied, proxy, uniqueEmail(), 'wrong password', { 'x-forwarded-for': `198.51.100.${randomBytes(1)[0]}, 203.0.113.250` })).status).toBe(401)
  })

  it('keeps the lockout to its window however often refused attempts come, then lets the right password in', async () => {
    const WINDOW = 3
    const short = await server({ NUXT_AUTH_LOGIN_WINDOW_SECONDS: String(WINDOW) })
    const from = newLoopbackAddress()
    const email = uniqueEmail()
    await signUpUser(short.url, email)
    const windowStart = Date.now()
    for (let i = 0; i < LIMIT; i++) expect((await login(short, from, email, 'wrong password')).status).toBe(401)
    const first = await login(short, from, email, PASSWORD)
    expect(first.status).toBe(429)
    expect(Number(first.headers.get('retry-after'))).toBeLessThanOrEqual(WINDOW)

    // Refused attempts back to back, each also with the right password: the first to get in
    // must do so once the window that began with the first failure is over, not later.
    let answer: Response
    do {
      answer = await login(short, from, email, PASSWORD)
      if (answer.status === 429) {
        const retryAfter = Number(answer.headers.get('retry-after'))
        expect(retryAfter).toBeGreaterThanOrEqual(1)
        expect(retryAfter).toBeLessThanOrEqual(Math.ceil(WINDOW - (Date.now() - windowStart) / 1000) + 1)
      }
    } while (answer.status === 429 && Date.now() - windowStart < 3 * WINDOW * 1000)
    expect(answer.status).toBe(200)
    expect(Date.now() - windowStart).toBeLessThan((WINDOW + 2) * 1000)
  })

  it('allows 10 failures in 900 s by default', async () => {
    const defaults = await startServer({ DATABASE_URL: backend.databaseUrl })
    servers.push(defaults)
    const from = newLoopbackAddress()
    for (let i = 0; i < 10; i++) expect((await login(defaults, from, uniqueEmail(), 'wrong password')).status).toBe(401)
    const blocked = await login(defaults, from, uniqueEmail(), 'wrong password')
    expect(blocked.status).toBe(429)
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(900 - 30)
    expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(900)
  })

  it('keeps the counts in the database, never an email or an address as such', async () => {
    const from = newLoopbackAddress()
    const email = uniqueEmail()
    await login(s, from, email, 'wrong password')
    const rows = await backend.dump()
    expect(rows).toMatch(/login:email:[0-9a-f]{32}/)
    expect(rows).not.toContain(email)
    expect(rows).not.toContain(from)
  })
})
