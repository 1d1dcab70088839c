import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import Redis from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { call, callFrom, newLoopbackAddress, PASSWORD, signUpUser, uniqueEmail } from '../support/client'
import { startServer, type TestServer } from '../support/server'

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const LIMIT = 3
// Other test runs use the same Redis: every key of this run is under a prefix of its own.
const PREFIX = `auth-test:${randomBytes(6).toString('hex')}`

const servers: TestServer[] = []
const listeners: Server[] = []
afterAll(async () => {
  await Promise.all(servers.map(s => s.stop()))
  for (const listener of listeners) listener.close()
})

async function server(redisUrl: string) {
  const started = await startServer({ NUXT_AUTH_LOGIN_MAX_FAILURES: String(LIMIT), NUXT_AUTH_RATE_LIMIT_REDIS_URL: redisUrl, NUXT_AUTH_RATE_LIMIT_PREFIX: PREFIX })
  servers.push(started)
  return started
}

const login = (s: TestServer, from: string, email: string, password: string) => callFrom(from, s.url, '/api/auth/login', { body: { email, password } })

/** A login, and how long its answer took. */
async function timedLogin(s: TestServer, from: string, email: string, password: string) {
  const started = Date.now()
  const response = await login(s, from, email, password)
  return { status: response.status, ms: Date.now() - started }
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  listeners.push(server)
  return (server.address() as AddressInfo).port
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const probe = createServer()
  const port = await listen(probe)
  probe.close()
  await once(probe, 'close')
  return port
}

/**
 * A TCP proxy to Redis that the test can stall: once stalled, connections stay open but
 * nothing goes through, in either direction, as with a Redis that hangs.
 */
async function stallableProxy(target: URL) {
  let stalled = false
  const sockets = new Set<Socket>()
  const proxy = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    client.on('data', data => stalled || upstream.write(data))
    upstream.on('data', data => stalled || client.write(data))
  })
  const port = await listen(proxy)
  afterAll(() => sockets.forEach(socket => socket.destroy()))
  return { url: `redis://127.0.0.1:${port}`, stall: () => (stalled = true) }
}

/** Logins keep being answered promptly and throttled, per instance, with Redis out of reach; nothing else is affected. */
async function expectServedWithoutRedis(s: TestServer) {
  const email = uniqueEmail()
  await signUpUser(s.url, email)
  const from = newLoopbackAddress()
  const right = await timedLogin(s, from, email, PASSWORD)
  expect(right.status).toBe(200)
  expect(right.ms).toBeLessThan(2_000)
  for (let i = 0; i < LIMIT; i++) {
    const wrong = await timedLogin(s, from, email, 'wrong password')
    expect(wrong.status).toBe(401)
    expect(wrong.ms).toBeLessThan(2_000)
  }
  const refused = await timedLogin(s, from, email, PASSWORD)
  expect(refused.status).toBe(429)
  expect(refused.ms).toBeLessThan(2_000)
  expect((await call(s.url, '/api/health')).status).toBe(200)
  const { cookie } = await signUpUser(s.url)
  expect((await call(s.url, '/api/auth/me', { cookie })).status).toBe(200)
  await s.waitForLog('[throttle] Redis unavailable')
}

describe('login throttling with Redis configured but out of reach', () => {
  it('answers at once, throttling in memory, when nothing listens at the Redis address', async () => {
    const s = await server(`redis://127.0.0.1:${await closedPort()}`)
    await expectServedWithoutRedis(s)
  })

  it('answers at once when Redis accepts connections but never answers', async () => {
    const silent = createServer(socket => socket.on('error', () => {}))
    const s = await server(`redis://127.0.0.1:${await listen(silent)}`)
    await expectServedWithoutRedis(s)
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
  afterAll(async () => {
    const redis = new Redis(REDIS_URL)
    const keys = await redis.keys(`${PREFIX}:*`)
    if (keys.length) await redis.del(...keys)
    await redis.quit()
  })

  it('counts failures on one instance against logins on another', async () => {
    const [a, b] = await Promise.all([server(REDIS_URL), server(REDIS_URL)])
    const email = uniqueEmail()
    await signUpUser(a.url, email)
    // From addresses of their own: only the per-email count, kept in Redis, can reach the limit.
    expect((await login(a, newLoopbackAddress(), email, 'wrong password')).status).toBe(401)
    expect((await login(b, newLoopbackAddress(), email, 'wrong password')).status).toBe(401)
    expect((await login(a, newLoopbackAddress(), email, 'wrong password')).status).toBe(401)
    expect((await login(b, newLoopbackAddress(), email, PASSWORD)).status).toBe(429)

    const redis = new Redis(REDIS_URL)
    try {
      const keys = await redis.keys(`${PREFIX}:login:email:*`)
      expect(keys).toHaveLength(1)
      expect(await redis.get(keys[0]!)).toBe(String(LIMIT))
      expect(keys.join(' ')).not.toContain(email)
      const ttl = await redis.ttl(keys[0]!)
      expect(ttl).toBeGreaterThan(900 - 30)
      expect(ttl).toBeLessThanOrEqual(900)
    }
    finally {
      await redis.quit()
    }
  })

  it('answers at once when Redis stalls mid-way, and counts in memory meanwhile', async () => {
    const proxy = await stallableProxy(new URL(REDIS_URL))
    const s = await server(proxy.url)
    // Through Redis while it answers: the count lands there.
    const email = uniqueEmail()
    await signUpUser(s.url, email)
    expect((await login(s, newLoopbackAddress(), email, 'wrong password')).status).toBe(401)
    const redis = new Redis(REDIS_URL)
    try {
      expect(await redis.keys(`${PREFIX}:login:email:*`)).not.toHaveLength(0)
    }
    finally {
      await redis.quit()
    }
    proxy.stall()
    await expectServedWithoutRedis(s)
  })
})
