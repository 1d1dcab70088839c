import { createHash, randomUUID } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { call, PASSWORD, sessionSetCookie, signUpUser, uniqueEmail } from '../support/client'
import { expectJsonError } from '../support/expect'
import { onBackend, serveBackend, startServer, type TestServer } from '../support/server'
import { sha256Hex } from '../support/sqlite'

const api = await serveBackend()
const { skip } = api

interface EventLine {
  event: string
  userId?: string
  sessionId?: string
  ipAddress?: string
  userAgent?: string
  at: string
  requestId?: string
}

interface ActivityEntry {
  type: string
  at: string
  userAgent: string | null
  ipAddress: string | null
  current: boolean
}

const DAY = 24 * 60 * 60 * 1000
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The public id the contract names a session by, from its cookie token. */
const publicId = (token: string) => createHash('sha256').update(`public:${sha256Hex(token)}`).digest('hex').slice(0, 32)

/** A User-Agent no other request sends, so that a request's log lines can be told apart. */
const marker = () => `activity-test/${randomUUID()}`

/** The auth event lines `server` logged for requests sent with this User-Agent, once there are `count`. */
async function eventLines(server: TestServer, userAgent: string, count = 1): Promise<EventLine[]> {
  const lines = () => server.logs().split('\n').filter(line => line.startsWith('{"event":') && line.includes(`"userAgent":"${userAgent}"`))
  await expect.poll(() => lines().length, { timeout: 5_000 }).toBeGreaterThanOrEqual(count)
  return lines().map(line => JSON.parse(line) as EventLine)
}

async function logIn(email: string, userAgent: string, password = PASSWORD, server = api.server) {
  return call(server.url, '/api/auth/login', { body: { email, password }, headers: { 'user-agent': userAgent } })
}

async function logInAs(email: string, userAgent = marker()) {
  const response = await logIn(email, userAgent)
  expect(response.status).toBe(200)
  const token = sessionSetCookie(response)!.value
  return { token, cookie: `auth_session=${token}`, userAgent }
}

async function activity(cookie: string): Promise<ActivityEntry[]> {
  const response = await call(api.server.url, '/api/auth/activity', { cookie })
  expect(response.status).toBe(200)
  expect(response.headers.get('cache-control')).toBe('no-store')
  return await response.json() as ActivityEntry[]
}

const storedTypes = async (userId: string) => (await api.backend.securityEvents(userId)).map(row => row.type)

describe.skipIf(skip)(onBackend('security activity', skip), () => {
  describe('each event is one JSON log line and, but logout, a row of the user', () => {
    it('signup and login: logged with the user, the new session, address, agent, time and request id; stored', async () => {
      const userAgent = marker()
      const email = uniqueEmail()
      const signup = await call(api.server.url, '/api/auth/signup', { body: { email, password: PASSWORD }, headers: { 'user-agent': userAgent } })
      expect(signup.status).toBe(201)
      const signupToken = sessionSetCookie(signup)!.value
      const { user } = await signup.json() as { user: { id: string } }
      const login = await logInAs(email, userAgent)

      const lines = await eventLines(api.server, userAgent, 2)
      expect(lines.map(l => l.event)).toEqual(['signup', 'login'])
      for (const [line, token] of [[lines[0]!, signupToken], [lines[1]!, login.token]] as const) {
        expect(Object.keys(line)).toEqual(['event', 'userId', 'sessionId', 'ipAddress', 'userAgent', 'at', 'requestId'])
        expect(line).toMatchObject({ userId: user.id, sessionId: publicId(token), ipAddress: '127.0.0.1', userAgent })
        expect(line.at).toMatch(ISO)
        expect(Math.abs(Date.parse(line.at) - Date.now())).toBeLessThan(60_000)
        expect(line.requestId).toMatch(UUID)
      }
      expect(lines[0]!.requestId).not.toBe(lines[1]!.requestId)

      const rows = await api.backend.securityEvents(user.id)
      expect(rows.map(r => [r.type, r.sessionPublicId, r.ipAddress, r.userAgent])).toEqual([
        ['signup', publicId(signupToken), '127.0.0.1', userAgent],
        ['login', publicId(login.token), '127.0.0.1', userAgent],
      ])
    })

    it('login-failed: a wrong password is stored for the account; an unknown email is only logged, with no user', async () => {
      const { user } = await signUpUser(api.server.url)
      const wrong = marker()
      expect((await logIn(user.email, wrong, 'not the password')).status).toBe(401)
      const [wrongLine] = await eventLines(api.server, wrong)
      expect(wrongLine).toMatchObject({ event: 'login-failed', userId: user.id, ipAddress: '127.0.0.1' })
      expect(wrongLine).not.toHaveProperty('sessionId')
      // Written once the 401 is out (so that it costs the answer nothing).
      await expect.poll(() => storedTypes(user.id)).toEqual(['signup', 'login-failed'])

      const unknown = marker()
      const rowsBefore = await api.backend.count('security_event')
      expect((await logIn(uniqueEmail(), unknown)).status).toBe(401)
      const [unknownLine] = await eventLines(api.server, unknown)
      expect(unknownLine).toMatchObject({ event: 'login-failed', ipAddress: '127.0.0.1' })
      expect(unknownLine).not.toHaveProperty('userId')
      expect(await api.backend.count('security_event')).toBe(rowsBefore)
    })

    it('logout: a log line naming the session, and no row', async () => {
      const { user } = await signUpUser(api.server.url)
      const session = await logInAs(user.email)
      const response = await call(api.server.url, '/api/auth/logout', { method: 'POST', cookie: session.cookie, headers: { 'user-agent': session.userAgent } })
      expect(await response.json()).toBe(true)
      const lines = await eventLines(api.server, session.userAgent, 2)
      expect(lines[1]).toMatchObject({ event: 'logout', sessionId: publicId(session.token), ipAddress: '127.0.0.1' })
      expect(await storedTypes(user.id)).toEqual(['signup', 'login'])
    })

    it('session-revoked names the session that asked; ending one\'s own session that way is a logout, not stored', async () => {
      const { user, token: asking, cookie } = await signUpUser(api.server.url)
      const other = await logInAs(user.email)
      const [otherEntry] = (await (await call(api.server.url, '/api/auth/sessions', { cookie })).json() as { id: string, current: boolean }[]).filter(s => !s.current)
      const revoker = marker()
      const revoked = await call(api.server.url, `/api/auth/sessions/${otherEntry!.id}`, { method: 'DELETE', cookie, headers: { 'user-agent': revoker } })
      expect(revoked.status).toBe(200)
      const [revokedLine] = await eventLines(api.server, revoker)
      expect(revokedLine).toMatchObject({ event: 'session-revoked', userId: user.id, sessionId: publicId(asking) })
      expect(publicId(other.token)).toBe(otherEntry!.id)
      const rows = await api.backend.securityEvents(user.id)
      expect(rows.map(r => [r.type, r.sessionPublicId])).toEqual([['signup', publicId(asking)], ['login', publicId(other.token)], ['session-revoked', publicId(asking)]])

      const own = marker()
      const ended = await call(api.server.url, `/api/auth/sessions/${publicId(asking)}`, { method: 'DELETE', cookie, headers: { 'user-agent': own } })
      expect(ended.status).toBe(200)
      const [ownLine] = await eventLines(api.server, own)
      expect(ownLine).toMatchObject({ event: 'logout', userId: user.id, sessionId: publicId(asking) })
      expect(await storedTypes(user.id)).toEqual(['signup', 'login', 'session-revoked'])
    })

    it('logout-all: logged and stored, naming the session that asked', async () => {
      const { user, token, cookie } = await signUpUser(api.server.url)
      await logInAs(user.email)
      const asker = marker()
      const response = await call(api.server.url, '/api/auth/logout-all', { method: 'POST', cookie, headers: { 'user-agent': asker } })
      expect(await response.json()).toEqual({ ended: 2 })
      const [line] = await eventLines(api.server, asker)
      expect(line).toMatchObject({ event: 'logout-all', userId: user.id, sessionId: publicId(token) })
      const rows = await api.backend.securityEvents(user.id)
      expect(rows.at(-1)).toMatchObject({ type: 'logout-all', sessionPublicId: publicId(token), userAgent: asker })
    })

    it('login-throttled: every 429 is logged; one row per account and quarter hour, however many come at once; the proxy\'s address and request id behind a trusted proxy', async () => {
      const { user } = await signUpUser(api.server.url)
      const throttled = await startServer({ DATABASE_URL: api.backend.databaseUrl, NUXT_AUTH_LOGIN_MAX_FAILURES: '2', NUXT_AUTH_TRUST_PROXY: 'true' })
      const rows = async () => (await api.backend.securityEvents(user.id)).map(r => `${r.type} ${r.ipAddress} ${r.throttleBucket}`).sort()
      let expected: string[] | undefined
      try {
        const userAgent = marker()
        const attempt = (i: number) => call(throttled.url, '/api/auth/login', {
          body: { email: user.email, password: 'not the password' },
          headers: { 'user-agent': userAgent, 'x-forwarded-for': '198.51.100.1, 203.0.113.7', 'x-request-id': `proxy-id-${i}` },
        })
        const failed = [(await attempt(0)).status, (await attempt(1)).status]
        // 30 sent together, so that their rows are stored at the same time (with a check for a
        // recent row and then an insert, as before 2026-12-03, PostgreSQL stored some 6).
        const burst = Array.from({ length: 30 }, (_, i) => i + 2)
        const refused = await Promise.all(burst.map(i => attempt(i)))
        expect([...failed, ...refused.map(r => r.status)]).toEqual([401, 401, ...burst.map(() => 429)])
        const lines = (await eventLines(throttled, userAgent, 32)).sort((a, b) => Number(a.requestId!.slice(9)) - Number(b.requestId!.slice(9)))
        expect(lines.map(l => [l.event, l.userId, l.ipAddress, l.requestId])).toEqual([
          ['login-failed', user.id, '203.0.113.7', 'proxy-id-0'],
          ['login-failed', user.id, '203.0.113.7', 'proxy-id-1'],
          ...burst.map(i => ['login-throttled', user.id, '203.0.113.7', `proxy-id-${i}`]),
        ])
        // One row per quarter hour of the clock the 429s fell in (one, unless the burst crossed
        // a boundary).
        const quarterHours = [...new Set(lines.slice(2).map(l => Math.floor(Date.parse(l.at) / 900_000)))]
        // Sorted: a failed attempt's row is written after its answer, so it may land after the next request's.
        expected = ['signup 127.0.0.1 null', 'login-failed 203.0.113.7 null', 'login-failed 203.0.113.7 null', ...quarterHours.map(q => `login-throttled 203.0.113.7 ${q}`)].sort()
        await expect.poll(rows).toEqual(expected)

        // An email with no account: logged, nothing stored.
        const unknown = marker()
        const before = await api.backend.count('security_event')
        const response = await call(throttled.url, '/api/auth/login', { body: { email: uniqueEmail(), password: 'not the password' }, headers: { 'user-agent': unknown, 'x-forwarded-for': '203.0.113.7' } })
        expect(response.status).toBe(429)
        const [line] = await eventLines(throttled, unknown)
        expect(line).toMatchObject({ event: 'login-throttled', ipAddress: '203.0.113.7' })
        expect(line).not.toHaveProperty('userId')
        expect(await api.backend.count('security_event')).toBe(before)
      }
      finally {
        await throttled.stop()
      }
      // Once the server has exited it stores nothing more: still one row, and the others were
      // dropped by the insert itself, not failed.
      expect(await rows()).toEqual(expected)
      expect(throttled.logs()).not.toContain('[auth-events] could not store')
    })
  })

  describe('GET /api/auth/activity', () => {
    it('lists the caller\'s events newest first, with this session\'s marked current', async () => {
      const { user, cookie: first } = await signUpUser(api.server.url)
      const phone = marker()
      expect((await logIn(user.email, phone, 'wrong password')).status).toBe(401)
      await expect.poll(() => storedTypes(user.id)).toContain('login-failed')
      const second = await logInAs(user.email, phone)

      const entries = await activity(first)
      expect(entries.map(e => e.type)).toEqual(['login', 'login-failed', 'signup'])
      for (const entry of entries) {
        expect(Object.keys(entry).sort()).toEqual(['at', 'current', 'ipAddress', 'type', 'userAgent'])
        expect(entry.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/)
        expect(entry.ipAddress).toBe('127.0.0.1')
      }
      expect(entries.map(e => e.current)).toEqual([false, false, true])
      expect(entries[0]!.userAgent).toBe(phone)
      expect((await activity(second.cookie)).map(e => e.current)).toEqual([true, false, false])
    })

    it('never lists another user\'s events', async () => {
      const alice = await signUpUser(api.server.url)
      const bob = await signUpUser(api.server.url)
      const bobAgent = marker()
      await logInAs(bob.user.email, bobAgent)
      expect((await logIn(bob.user.email, bobAgent, 'wrong password')).status).toBe(401)
      await expect.poll(async () => (await activity(bob.cookie)).map(e => e.type)).toEqual(['login-failed', 'login', 'signup'])

      expect((await activity(alice.cookie)).map(e => e.type)).toEqual(['signup'])
      expect((await activity(alice.cookie)).some(e => e.userAgent === bobAgent)).toBe(false)
    })

    it('gives at most the last 50', async () => {
      const { user, cookie } = await signUpUser(api.server.url)
      await api.backend.seedSecurityEvents(user.id, 60, new Date(Date.now() - DAY))
      const last = await logInAs(user.email)
      const entries = await activity(cookie)
      expect(entries).toHaveLength(50)
      expect(entries[0]).toMatchObject({ type: 'login', userAgent: last.userAgent })
      // The signup, the oldest, is past the 50.
      expect(entries.some(e => e.type === 'signup')).toBe(false)
    })

    it('answers 401 without a session, HEAD without a body, and 405 with Allow for other methods', async () => {
      await expectJsonError(await call(api.server.url, '/api/auth/activity'), 401)
      const { cookie } = await signUpUser(api.server.url)
      const head = await call(api.server.url, '/api/auth/activity', { method: 'HEAD', cookie })
      expect(head.status).toBe(200)
      expect(await head.text()).toBe('')
      const post = await call(api.server.url, '/api/auth/activity', { method: 'POST', cookie })
      await expectJsonError(post, 405)
      expect(post.headers.get('allow')).toBe('GET, HEAD')
    })
  })

  it('leaves no password, token or token hash in any column of any table, nor in the log', async () => {
    const password = `secret-${randomUUID()}`
    const wrongPassword = `wrong-${randomUUID()}`
    const { user, token, cookie } = await signUpUser(api.server.url, uniqueEmail(), password)
    const tokens = [token]
    for (let i = 0; i < 2; i++) {
      const response = await logIn(user.email, marker(), password)
      tokens.push(sessionSetCookie(response)!.value)
    }
    expect((await logIn(user.email, marker(), wrongPassword)).status).toBe(401)
    const [, second, third] = tokens
    const others = (await (await call(api.server.url, '/api/auth/sessions', { cookie })).json() as { id: string, current: boolean }[]).filter(s => !s.current)
    expect((await call(api.server.url, `/api/auth/sessions/${others[0]!.id}`, { method: 'DELETE', cookie })).status).toBe(200)
    const survivor = [second!, third!].find(t => publicId(t) !== others[0]!.id)!
    expect((await call(api.server.url, '/api/auth/logout', { method: 'POST', cookie: `auth_session=${survivor}` })).status).toBe(200)
    expect((await call(api.server.url, '/api/auth/logout-all', { method: 'POST', cookie })).status).toBe(200)
    await api.server.waitForLog(`"event":"logout-all","userId":"${user.id}"`)

    const { passwordHash } = (await api.backend.userById(user.id))!
    const dump = await api.backend.dump()
    const logs = api.server.logs()
    expect(dump).toContain(user.id)
    expect(logs).toContain(user.id)
    for (const secret of [password, wrongPassword, ...tokens, ...tokens.map(sha256Hex)]) {
      expect(dump).not.toContain(secret)
      expect(logs).not.toContain(secret)
    }
    expect(logs).not.toContain(passwordHash)
  })

  it('a failure to store an event is logged, and the request answers as it would have', async () => {
    const { user, cookie } = await signUpUser(api.server.url)
    await api.backend.renameTable('security_event', 'security_event_away')
    try {
      const session = await logInAs(user.email)
      const [line] = await eventLines(api.server, session.userAgent)
      expect(line).toMatchObject({ event: 'login', userId: user.id, sessionId: publicId(session.token) })
      expect((await call(api.server.url, '/api/auth/me', { cookie: session.cookie })).status).toBe(200)
      const response = await call(api.server.url, '/api/auth/logout-all', { method: 'POST', cookie })
      expect(await response.json()).toEqual({ ended: 2 })
      const logs = await api.server.waitForLog(`[auth-events] could not store a logout-all event (request id `)
      expect(logs).toMatch(new RegExp(`\\[auth-events\\] could not store a login event \\(request id ${line!.requestId}\\)`))
    }
    finally {
      await api.backend.renameTable('security_event_away', 'security_event')
    }
  })

  it('npm run db:cleanup removes security events older than 90 days, in batches, and only those', async () => {
    const { user, cookie } = await signUpUser(api.server.url)
    await api.backend.seedSecurityEvents(user.id, 250, new Date(Date.now() - 91 * DAY))
    await api.backend.seedSecurityEvents(user.id, 30, new Date(Date.now() - 89 * DAY))
    const kept = await api.backend.securityEvents(user.id).then(rows => rows.filter(r => r.createdAt.getTime() > Date.now() - 90 * DAY).length)
    expect(kept).toBe(31)

    const run = spawnSync('npm', ['run', '--silent', 'db:cleanup'], {
      env: { ...process.env, DATABASE_URL: api.backend.databaseUrl },
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(run.status, run.stderr).toBe(0)
    const { securityEvents } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { securityEvents: { deleted: number, batches: number } }
    // Only this test seeds rows that old; 100 rows a batch, and one more that finds fewer and stops.
    expect(securityEvents).toMatchObject({ deleted: 250, batches: 3 })
    const rows = await api.backend.securityEvents(user.id)
    expect(rows).toHaveLength(31)
    expect(rows.every(r => r.createdAt.getTime() > Date.now() - 90 * DAY)).toBe(true)
    expect(await activity(cookie)).toHaveLength(31)
  }, 60_000)
})
