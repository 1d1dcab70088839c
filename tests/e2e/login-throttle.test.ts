import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import Redis from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { call, PASSWORD, signUpUser, uniqueEmail } from '../support/client'
import { startServer, type TestServer } from '../support/server'

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const servers: TestServer[] = []
afterAll(() => Promise.all(servers.map(s => s.stop())))

async function server(env: Record<string, string>) {
  const started = await startServer({ NUXT_AUTH_LOGIN_MAX_FAILURES: '3', ...env })
  servers.push(started)
  return started
}

const login = (s: TestServer, email: string, password: string, headers?: Record<string, string>) =>
  call(s.url, '/api/auth/login', { body: { email, password }, headers })

describe('login throttling (memory storage)', () => {
  it('answers 429 with Retry-After once one email has failed too often, even with the right password', async () => {
    const s = await server({})
    const email = uniqueEmail()
    await signUpUser(s.url, email)
    for (let i = 0; i < 3; i++) expect((await login(s, email, 'wrong password')).status).toBe(401)

    const blocked = await login(s, email, PASSWORD)
    expect(blocked.status).toBe(429)
    const retryAfter = Number(blocked.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(15 * 60)
    expect(blocked.headers.get('cache-control')).toBe('no-store')
    expect((await blocked.json() as { statusCode: number }).statusCode).toBe(429)
  })

  it('counts failures per client address across emails, unknown ones included', async () => {
    const s = await server({})
    for (let i = 0; i < 3; i++) expect((await login(s, uniqueEmail(), 'wrong password')).status).toBe(401)
    expect((await login(s, uniqueEmail(), 'wrong password')).status).toBe(429)
  })

  it('does not count successful logins', async () => {
    const s = await server({})
    const { user } = await signUpUser(s.url)
    for (let i = 0; i < 6; i++) expect((await login(s, user.email, PASSWORD)).status).toBe(200)
  })

  it('lets attempts in again once the window has passed', async () => {
    const s = await server({ NUXT_AUTH_LOGIN_WINDOW_SECONDS: '2' })
    const email = uniqueEmail()
    await signUpUser(s.url, email)
    for (let i = 0; i < 3; i++) await login(s, email, 'wrong password')
    const blocked = await login(s, email, PASSWORD)
    expect(blocked.status).toBe(429)
    await new Promise(resolve => setTimeout(resolve, Number(blocked.headers.get('retry-after')) * 1000 + 200))
    expect((await login(s, email, PASSWORD)).status).toBe(200)
  })

  it('takes the address from X-Forwarded-For only when NUXT_AUTH_TRUST_PROXY=true', async () => {
    const direct = await server({})
    for (let i = 0; i < 3; i++) await login(direct, uniqueEmail(), 'wrong password', { 'x-forwarded-for': `203.0.113.${i}` })
    expect((await login(direct, uniqueEmail(), 'wrong password', { 'x-forwarded-for': '203.0.113.99' })).status).toBe(429)

    const proxied = await server({ NUXT_AUTH_TRUST_PROXY: 'true' })
    // The proxy appends the peer it saw; what the client wrote before that is not believed.
    for (let i = 0; i < 3; i++) await login(proxied, uniqueEmail(), 'wrong password', { 'x-forwarded-for': `198.51.100.${i}, 203.0.113.1` })
    expect((await login(proxied, uniqueEmail(), 'wrong password', { 'x-forwarded-for': '198.51.100.77, 203.0.113.1' })).status).toBe(429)
    expect((await login(proxied, uniqueEmail(), 'wrong password', { 'x-forwarded-for': '203.0.113.2' })).status).toBe(401)
  })
})

const redisReachable = await new Promise<boolean>((resolve) => {
  const { hostname, port } = new URL(REDIS_URL)
  const socket = connect({ host: hostname, port: Number(port || 6379), timeout: 2_000 })
  socket.once('connect', () => resolve(true)).once('error', () => resolve(false)).once('timeout', () => resolve(false))
  socket.unref()
})
if (!redisReachable && process.env.CI) throw new Error(`CI needs Redis at ${REDIS_URL} (TEST_REDIS_URL)`)

describe.skipIf(!redisReachable)(`login throttling shared through Redis${redisReachable ? '' : ` (skipped: no Redis at ${REDIS_URL})`}`, () => {
  const prefix = `auth-test:${randomBytes(6).toString('hex')}`
  afterAll(async () => {
    const redis = new Redis(REDIS_URL)
    const keys = await redis.keys(`${prefix}:*`)
    if (keys.length) await redis.del(...keys)
    await redis.quit()
  })

  it('counts failures on one instance against logins on another', async () => {
    const env = { NUXT_AUTH_RATE_LIMIT_REDIS_URL: REDIS_URL, NUXT_AUTH_RATE_LIMIT_PREFIX: prefix }
    const [a, b] = await Promise.all([server(env), server(env)])
    const email = uniqueEmail()
    await signUpUser(a.url, email)
    expect((await login(a, email, 'wrong password')).status).toBe(401)
    expect((await login(b, email, 'wrong password')).status).toBe(401)
    expect((await login(a, email, 'wrong password')).status).toBe(401)
    expect((await login(b, email, PASSWORD)).status).toBe(429)

    const redis = new Redis(REDIS_URL)
    try {
      const keys = await redis.keys(`${prefix}:*`)
      expect(keys.length).toBeGreaterThanOrEqual(3)
      expect(keys.join(' ')).not.toContain(email)
      expect(await redis.ttl(keys[0]!)).toBeGreaterThan(0)
    }
    finally {
      await redis.quit()
    }
  })
})
