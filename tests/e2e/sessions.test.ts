import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { call, PASSWORD, sessionSetCookie, signUpUser } from '../support/client'
import { expectBlankCookie, expectJsonError } from '../support/expect'
import { onBackend, serveBackend } from '../support/server'
import { sha256Hex } from '../support/sqlite'

const api = await serveBackend()
const { skip } = api

interface SessionEntry {
  id: string
  createdAt: string
  expiresAt: string
  userAgent: string | null
  current: boolean
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/
const DAY = 24 * 60 * 60 * 1000
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0'
const SAFARI = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'

/** Logs the user in once more, as another device with this User-Agent. */
async function logIn(email: string, userAgent?: string) {
  const response = await call(api.server.url, '/api/auth/login', {
    body: { email, password: PASSWORD },
    headers: userAgent ? { 'user-agent': userAgent } : {},
  })
  expect(response.status).toBe(200)
  const token = sessionSetCookie(response)!.value
  return { token, cookie: `auth_session=${token}` }
}

async function listSessions(cookie: string): Promise<SessionEntry[]> {
  const response = await call(api.server.url, '/api/auth/sessions', { cookie })
  expect(response.status).toBe(200)
  return await response.json() as SessionEntry[]
}

const endSession = (cookie: string | undefined, id: string) =>
  call(api.server.url, `/api/auth/sessions/${id}`, { method: 'DELETE', cookie })

const logoutAll = (cookie?: string) => call(api.server.url, '/api/auth/logout-all', { method: 'POST', cookie })

const meStatus = async (cookie: string) => (await call(api.server.url, '/api/auth/me', { cookie })).status

describe.skipIf(skip)(onBackend('session management', skip), () => {
  describe('GET /api/auth/sessions', () => {
    it('lists the caller\'s active sessions with ISO dates, the user agent, and the current one marked', async () => {
      const signup = await signUpUser(api.server.url)
      const firefox = await logIn(signup.user.email, FIREFOX)
      const safari = await logIn(signup.user.email, SAFARI)

      const response = await call(api.server.url, '/api/auth/sessions', { cookie: firefox.cookie })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toMatch(/^application\/json/)
      expect(response.headers.get('cache-control')).toBe('no-store')
      const sessions = await response.json() as SessionEntry[]

      expect(sessions).toHaveLength(3)
      for (const session of sessions) {
        expect(Object.keys(session).sort()).toEqual(['createdAt', 'current', 'expiresAt', 'id', 'userAgent'])
        expect(session.id).toMatch(/^[0-9a-f]{32}$/)
        expect(session.createdAt).toMatch(ISO)
        expect(session.expiresAt).toMatch(ISO)
        expect(Math.abs(Date.parse(session.createdAt) - Date.now())).toBeLessThan(60_000)
        expect(Date.parse(session.expiresAt) - Date.parse(session.createdAt)).toBe(30 * DAY)
      }
      // The caller's own session comes first and is the only one marked current.
      expect(sessions.map(s => s.current)).toEqual([true, false, false])
      expect(sessions[0]!.userAgent).toBe(FIREFOX)
      expect(sessions.map(s => s.userAgent)).toContain(SAFARI)
      expect(new Set(sessions.map(s => s.id)).size).toBe(3)

      // The same sessions from another of them: now that one is current.
      const fromSafari = await listSessions(safari.cookie)
      expect(fromSafari[0]).toMatchObject({ current: true, userAgent: SAFARI })
      expect(fromSafari.map(s => s.id).sort()).toEqual(sessions.map(s => s.id).sort())
      // The row's expiry as stored, to the second.
      const row = await api.backend.sessionById(sha256Hex(safari.token))
      expect(fromSafari[0]!.expiresAt).toBe(row!.expiresAt.toISOString())
      expect(fromSafari[0]!.createdAt).toBe(row!.createdAt.toISOString())
    })

    it('lists the other sessions newest first, by when they were created', async () => {
      const signup = await signUpUser(api.server.url)
      const [older, newest, middle] = [await logIn(signup.user.email), await logIn(signup.user.email), await logIn(signup.user.email)]
      // Creation times out of login order, so that neither login order nor its reverse passes.
      const created = (token: string, daysAgo: number) => api.backend.setSessionCreatedAt(sha256Hex(token), new Date(Date.now() - daysAgo * DAY))
      await created(older.token, 3)
      await created(newest.token, 1)
      await created(middle.token, 2)
      const publicId = (token: string) => createHash('sha256').update(`public:${sha256Hex(token)}`).digest('hex').slice(0, 32)

      const sessions = await listSessions(signup.cookie)
      expect(sessions.map(s => s.id)).toEqual([signup.token, newest.token, middle.token, older.token].map(publicId))
    })

    it('gives a public id that is neither the token, nor its hash, nor any part of them', async () => {
      const { token, cookie } = await signUpUser(api.server.url)
      const [session] = await listSessions(cookie)
      const rowId = sha256Hex(token)
      expect(session!.id).not.toBe(token)
      expect(session!.id).not.toBe(rowId)
      expect(rowId).not.toContain(session!.id)
      expect(sha256Hex(session!.id)).not.toBe(rowId)
      expect(session!.id).toBe(createHash('sha256').update(`public:${rowId}`).digest('hex').slice(0, 32))

      // The public id is no cookie and names no session to the api.server.
      const asCookie = await call(api.server.url, '/api/auth/me', { cookie: `auth_session=${session!.id}` })
      expect(asCookie.status).toBe(401)
      expect(await api.backend.sessionById(session!.id)).toBeUndefined()
    })

    it('lists only the caller\'s own sessions, and no expired ones', async () => {
      const alice = await signUpUser(api.server.url)
      const bob = await signUpUser(api.server.url)
      await logIn(bob.user.email)
      const old = await logIn(alice.user.email)
      await api.backend.setSessionExpiry(sha256Hex(old.token), new Date(Date.now() - 1000))

      const aliceSessions = await listSessions(alice.cookie)
      expect(aliceSessions).toHaveLength(1)
      expect(aliceSessions[0]!.current).toBe(true)
      const bobSessions = await listSessions(bob.cookie)
      expect(bobSessions).toHaveLength(2)
      expect(bobSessions.map(s => s.id)).not.toContain(aliceSessions[0]!.id)
    })

    it('keeps at most 256 characters of a long user agent', async () => {
      const { user } = await signUpUser(api.server.url)
      const long = await logIn(user.email, `Mozilla/5.0 ${'x'.repeat(400)}`)
      const [entry] = await listSessions(long.cookie)
      expect(entry!.userAgent).toBe(`Mozilla/5.0 ${'x'.repeat(400)}`.slice(0, 256))
    })
  })

  describe('DELETE /api/auth/sessions/:id', () => {
    it('ends another session of the caller: 200 true, that cookie is then 401, the caller\'s is not', async () => {
      const laptop = await signUpUser(api.server.url)
      const phone = await logIn(laptop.user.email, SAFARI)
      const sessions = await listSessions(laptop.cookie)
      const other = sessions.find(s => !s.current)!

      const response = await endSession(laptop.cookie, other.id)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toMatch(/^application\/json/)
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(await response.text()).toBe('true')
      // Not the caller's session: the caller's cookie is left alone.
      expect(sessionSetCookie(response)?.value ?? 'kept').not.toBe('')

      expect(await api.backend.sessionById(sha256Hex(phone.token))).toBeUndefined()
      expect(await meStatus(phone.cookie)).toBe(401)
      expect(await meStatus(laptop.cookie)).toBe(200)
      expect((await listSessions(laptop.cookie)).map(s => s.id)).toEqual([sessions.find(s => s.current)!.id])

      // Again: that session no longer exists.
      await expectJsonError(await endSession(laptop.cookie, other.id), 404)
    })

    it('answers 404 for an unknown id, a malformed one, and another user\'s session, which stays', async () => {
      const alice = await signUpUser(api.server.url)
      const bob = await signUpUser(api.server.url)
      const [bobSession] = await listSessions(bob.cookie)

      for (const id of ['0'.repeat(32), 'not-a-session', sha256Hex(bob.token), bob.token, bobSession!.id.toUpperCase()]) {
        const response = await endSession(alice.cookie, id)
        await expectJsonError(response, 404)
        expect(sessionSetCookie(response)?.value ?? 'kept').not.toBe('')
      }
      // Another user's real session id: the same 404 as an unknown one, and nothing happens.
      const foreign = await expectJsonError(await endSession(alice.cookie, bobSession!.id), 404)
      const unknown = await expectJsonError(await endSession(alice.cookie, 'f'.repeat(32)), 404)
      expect(foreign).toEqual(unknown)
      expect(await meStatus(bob.cookie)).toBe(200)
      expect(await meStatus(alice.cookie)).toBe(200)
    })

    it('treats ending the caller\'s own current session as a logout: true and a blank cookie', async () => {
      const { token, cookie } = await signUpUser(api.server.url)
      const [current] = await listSessions(cookie)
      const response = await endSession(cookie, current!.id)
      expect(response.status).toBe(200)
      expect(await response.json()).toBe(true)
      expectBlankCookie(sessionSetCookie(response))
      expect(await api.backend.sessionById(sha256Hex(token))).toBeUndefined()
      expect(await meStatus(cookie)).toBe(401)
    })

    // Each of these validates its caller in a lookup batched with the others, then runs a
    // transaction of its own: resumed together, their transactions would overlap (a 500).
    it('ends ten other sessions at once, each request its own, every one 200 and gone', async () => {
      const laptop = await signUpUser(api.server.url)
      for (let i = 0; i < 10; i++) await logIn(laptop.user.email)
      const others = (await listSessions(laptop.cookie)).filter(s => !s.current)
      expect(others).toHaveLength(10)
      const statuses = await Promise.all(others.map(async ({ id }) => (await endSession(laptop.cookie, id)).status))
      expect(statuses).toEqual(others.map(() => 200))
      expect(await listSessions(laptop.cookie)).toHaveLength(1)
    })

    it('gives exactly one true to concurrent deletes of one session', async () => {
      const laptop = await signUpUser(api.server.url)
      await logIn(laptop.user.email)
      const other = (await listSessions(laptop.cookie)).find(s => !s.current)!
      const statuses = await Promise.all(Array.from({ length: 8 }, async () => (await endSession(laptop.cookie, other.id)).status))
      expect(statuses.filter(s => s === 200)).toHaveLength(1)
      expect(statuses.filter(s => s === 404)).toHaveLength(7)
    })
  })

  describe('POST /api/auth/logout-all', () => {
    it('ends every session of the caller: { ended: N }, a blank cookie, every cookie of that user 401', async () => {
      const first = await signUpUser(api.server.url)
      const devices = [await logIn(first.user.email, FIREFOX), await logIn(first.user.email, SAFARI), await logIn(first.user.email)]
      const expired = await logIn(first.user.email)
      await api.backend.setSessionExpiry(sha256Hex(expired.token), new Date(Date.now() - 1000))
      const bystander = await signUpUser(api.server.url)
      const sessionsBefore = await api.backend.count('session')

      const response = await logoutAll(devices[0]!.cookie)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toMatch(/^application\/json/)
      expect(response.headers.get('cache-control')).toBe('no-store')
      // Four active sessions, the caller's included; the expired row goes too but is not counted.
      expect(await response.json()).toEqual({ ended: 4 })
      expectBlankCookie(sessionSetCookie(response))

      for (const { cookie } of [first, ...devices, expired]) expect(await meStatus(cookie)).toBe(401)
      for (const { token } of [first, ...devices, expired]) expect(await api.backend.sessionById(sha256Hex(token))).toBeUndefined()
      expect(await api.backend.count('session')).toBe(sessionsBefore - 5)

      // Other users are untouched.
      expect(await meStatus(bystander.cookie)).toBe(200)
      expect(await listSessions(bystander.cookie)).toHaveLength(1)

      // The caller is signed out now, so a second call is a 401.
      await expectJsonError(await logoutAll(devices[0]!.cookie), 401)
    })

    it('ends a lone session: { ended: 1 }', async () => {
      const { cookie } = await signUpUser(api.server.url)
      const response = await logoutAll(cookie)
      expect(await response.json()).toEqual({ ended: 1 })
      expectBlankCookie(sessionSetCookie(response))
      expect(await meStatus(cookie)).toBe(401)
    })
  })

  describe('all three', () => {
    const requests: Array<[string, (cookie?: string) => Promise<Response>]> = [
      ['GET /api/auth/sessions', cookie => call(api.server.url, '/api/auth/sessions', { cookie })],
      ['DELETE /api/auth/sessions/:id', cookie => endSession(cookie, '0'.repeat(32))],
      ['POST /api/auth/logout-all', cookie => logoutAll(cookie)],
    ]

    it.each(requests)('%s answers 401 without a valid session', async (_, request) => {
      const { cookie: loggedOut } = await signUpUser(api.server.url)
      expect(await (await call(api.server.url, '/api/auth/logout', { method: 'POST', cookie: loggedOut })).json()).toBe(true)

      for (const cookie of [undefined, 'auth_session=', `auth_session=${'a'.repeat(40)}`, loggedOut]) {
        const response = await request(cookie)
        await expectJsonError(response, 401)
        expect(response.headers.get('cache-control')).toBe('no-store')
      }
      // A malformed cookie is a 401 that blanks it.
      const malformed = await request('auth_session=not-a-token')
      await expectJsonError(malformed, 401)
      expectBlankCookie(sessionSetCookie(malformed))
    })

    it.each([
      ['/api/auth/sessions', 'GET, HEAD', ['POST', 'PUT', 'PATCH', 'DELETE']],
      [`/api/auth/sessions/${'0'.repeat(32)}`, 'DELETE', ['GET', 'POST', 'PUT', 'PATCH']],
      ['/api/auth/logout-all', 'POST', ['GET', 'PUT', 'PATCH', 'DELETE']],
    ])('%s answers other methods with 405, Allow: %s and JSON', async (path, allow, methods) => {
      const { cookie } = await signUpUser(api.server.url)
      for (const method of methods) {
        const response = await call(api.server.url, path, { method, cookie, headers: { accept: 'text/html,application/xhtml+xml' } })
        await expectJsonError(response, 405)
        expect(response.headers.get('allow')).toBe(allow)
      }
      expect(await meStatus(cookie)).toBe(200)
    })

    it('refuses DELETE and logout-all from an untrusted origin with 403, sessions intact', async () => {
      const laptop = await signUpUser(api.server.url)
      await logIn(laptop.user.email)
      const other = (await listSessions(laptop.cookie)).find(s => !s.current)!
      const headers = { 'origin': 'https://evil.example', 'sec-fetch-site': 'cross-site' }

      await expectJsonError(await call(api.server.url, `/api/auth/sessions/${other.id}`, { method: 'DELETE', cookie: laptop.cookie, headers }), 403)
      await expectJsonError(await call(api.server.url, '/api/auth/logout-all', { method: 'POST', cookie: laptop.cookie, headers }), 403)
      expect(await listSessions(laptop.cookie)).toHaveLength(2)
    })
  })
})
