import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { call, callFrom, newLoopbackAddress, PASSWORD, sessionSetCookie, signUpUser, uniqueEmail } from '../support/client'
import { expectBlankCookie, expectJsonError } from '../support/expect'
import { onBackend, serveBackend, startServer } from '../support/server'
import { sha256Hex } from '../support/sqlite'

// Contract sections "Session lifetime", "Recent authentication", "Why a session ended",
// "Clear-Site-Data" and the log-in password rule, on this run's backend.

// Log-in throttling has tests of its own here, each on a server of its own; this one allows
// enough failures that the wrong passwords of the other tests never add up to a 429.
const api = await serveBackend({ NUXT_AUTH_LOGIN_MAX_FAILURES: '100' })
const { skip } = api

const DAY = 24 * 60 * 60 * 1000
const MINUTE = 60 * 1000

const publicId = (token: string) => createHash('sha256').update(`public:${sha256Hex(token)}`).digest('hex').slice(0, 32)
const sessionRow = (token: string) => api.backend.sessionById(sha256Hex(token))

const me = (cookie?: string) => call(api.server.url, '/api/auth/me', { cookie })
const logout = (cookie?: string) => call(api.server.url, '/api/auth/logout', { method: 'POST', cookie })
const logoutAll = (cookie?: string) => call(api.server.url, '/api/auth/logout-all', { method: 'POST', cookie })
const endSession = (cookie: string, id: string) => call(api.server.url, `/api/auth/sessions/${id}`, { method: 'DELETE', cookie })
const reauthenticate = (cookie: string | undefined, body: unknown) => call(api.server.url, '/api/auth/reauthenticate', { body, cookie })
const sessions = async (cookie: string) => await (await call(api.server.url, '/api/auth/sessions', { cookie })).json() as Array<{ id: string, createdAt: string, expiresAt: string, current: boolean }>

async function logIn(email: string, password = PASSWORD, server = api.server.url) {
  const response = await call(server, '/api/auth/login', { body: { email, password } })
  expect(response.status).toBe(200)
  const token = sessionSetCookie(response)!.value
  return { token, cookie: `auth_session=${token}` }
}

/** A user with a second session: `caller` and `other`. */
async function twoSessions() {
  const caller = await signUpUser(api.server.url)
  const other = await logIn(caller.user.email)
  return { user: caller.user, caller, other }
}

/** Makes the session no longer recently authenticated: started 11 minutes ago (the window is 10). */
const makeStale = (token: string) => api.backend.setSessionCreatedAt(sha256Hex(token), new Date(Date.now() - 11 * MINUTE))

/** The 401's data.reason, or undefined when it has none. */
async function reasonOf(response: Response): Promise<string | undefined> {
  const body = await expectJsonError(response, 401)
  return (body.data as { reason?: string } | undefined)?.reason
}

const maxAgeMs = (response: Response) => Number(sessionSetCookie(response)!.attributes['max-age']) * 1000

describe.skipIf(skip)(onBackend('session lifetime', skip), () => {
  it('a session 89 days old is active, its expiry capped at 90 days from created_at on /me, the list, the row and the cookie', async () => {
    const { token, cookie } = await signUpUser(api.server.url)
    const createdAt = new Date(Math.floor((Date.now() - 89 * DAY) / 1000) * 1000)
    const cap = new Date(createdAt.getTime() + 90 * DAY)
    // A row from before the cap: its stored expiry is 20 days away, past the cap.
    await api.backend.setSessionCreatedAt(sha256Hex(token), createdAt)
    await api.backend.setSessionExpiry(sha256Hex(token), new Date(Date.now() + 20 * DAY))

    const response = await me(cookie)
    expect(response.status).toBe(200)
    expect((await response.json()).session.expiresAt).toBe(cap.toISOString())
    // The cookie is re-sent with the capped expiry.
    const sent = sessionSetCookie(response)!
    expect(sent.value).toBe(token)
    expect(Math.abs(maxAgeMs(response) - (cap.getTime() - Date.now()))).toBeLessThan(5_000)
    expect(new Date(sent.attributes.expires!).getTime()).toBe(cap.getTime())
    expect((await sessionRow(token))!.expiresAt.getTime()).toBe(cap.getTime())
    expect((await sessions(cookie))[0]!.expiresAt).toBe(cap.toISOString())
    // Now stored capped: the next request writes nothing and re-sends no cookie.
    const again = await me(cookie)
    expect(again.status).toBe(200)
    expect(sessionSetCookie(again)).toBeUndefined()
  })

  it('sliding stops at the cap: a session 80 days old slides to 90 days from created_at, not 30 days from now', async () => {
    const { token, cookie } = await signUpUser(api.server.url)
    const createdAt = new Date(Math.floor((Date.now() - 80 * DAY) / 1000) * 1000)
    await api.backend.setSessionCreatedAt(sha256Hex(token), createdAt)
    // In the second half of its idle time: due to slide.
    await api.backend.setSessionExpiry(sha256Hex(token), new Date(Date.now() + 5 * DAY))

    const response = await me(cookie)
    expect(response.status).toBe(200)
    const cap = createdAt.getTime() + 90 * DAY
    expect(Date.parse((await response.json()).session.expiresAt)).toBe(cap)
    expect(Math.abs(maxAgeMs(response) - 10 * DAY)).toBeLessThan(5_000)
    expect((await sessionRow(token))!.expiresAt.getTime()).toBe(cap)

    // A young session in the second half still slides a full 30 days.
    const young = await signUpUser(api.server.url)
    await api.backend.setSessionCreatedAt(sha256Hex(young.token), new Date(Date.now() - 20 * DAY))
    await api.backend.setSessionExpiry(sha256Hex(young.token), new Date(Date.now() + 10 * DAY))
    expect(Math.abs(maxAgeMs(await me(young.cookie)) - 30 * DAY)).toBeLessThan(5_000)
  })

  it('a session 91 days old is expired whatever its expires_at: 401 `expired`, row deleted, off the list, logout false', async () => {
    const { user, token, cookie } = await signUpUser(api.server.url)
    const watcher = await logIn(user.email)
    const old = await logIn(user.email)
    for (const { token: t } of [{ token }, old]) {
      await api.backend.setSessionCreatedAt(sha256Hex(t), new Date(Date.now() - 91 * DAY))
      await api.backend.setSessionExpiry(sha256Hex(t), new Date(Date.now() + 20 * DAY))
    }
    // The list of another session leaves it out while the row is still there.
    expect((await sessions(watcher.cookie)).map(s => s.id)).toEqual([publicId(watcher.token)])
    expect(await sessionRow(token)).toBeDefined()

    const response = await me(cookie)
    expect(await reasonOf(response)).toBe('expired')
    // The cookie is kept, so that every later request of this browser learns why too.
    expect(sessionSetCookie(response)).toBeUndefined()
    expect(await sessionRow(token)).toBeUndefined()
    // Remembered after the row is gone.
    expect(await reasonOf(await me(cookie))).toBe('expired')

    // Logout of a session past the cap: false, row gone (and logout records nothing).
    const out = await logout(old.cookie)
    expect(await out.json()).toBe(false)
    expect(await sessionRow(old.token)).toBeUndefined()
    expect(await reasonOf(await me(old.cookie))).toBeUndefined()
  })

  it('idle expiry answers 401 `expired` too', async () => {
    const { token, cookie } = await signUpUser(api.server.url)
    await api.backend.setSessionExpiry(sha256Hex(token), new Date(Date.now() - 1000))
    expect(await reasonOf(await me(cookie))).toBe('expired')
    expect(await sessionRow(token)).toBeUndefined()
  })

  it('takes the idle timeout and the absolute lifetime from NUXT_AUTH_SESSION_IDLE_DAYS and NUXT_AUTH_SESSION_ABSOLUTE_DAYS', async () => {
    const custom = await startServer({ DATABASE_URL: api.backend.databaseUrl, NUXT_AUTH_SESSION_IDLE_DAYS: '2', NUXT_AUTH_SESSION_ABSOLUTE_DAYS: '3' })
    try {
      const signup = await call(custom.url, '/api/auth/signup', { body: { email: uniqueEmail(), password: PASSWORD } })
      expect(signup.status).toBe(201)
      expect(Math.abs(maxAgeMs(signup) - 2 * DAY)).toBeLessThan(2_000)
      const token = sessionSetCookie(signup)!.value
      // 2.5 days old: within 3 days, and due to slide, which stops at the 3-day cap.
      const createdAt = new Date(Math.floor((Date.now() - 2.5 * DAY) / 1000) * 1000)
      await api.backend.setSessionCreatedAt(sha256Hex(token), createdAt)
      await api.backend.setSessionExpiry(sha256Hex(token), new Date(Date.now() + 0.5 * DAY))
      const slid = await call(custom.url, '/api/auth/me', { cookie: `auth_session=${token}` })
      expect(Date.parse((await slid.json()).session.expiresAt)).toBe(createdAt.getTime() + 3 * DAY)
      // 3 days and a minute old: expired.
      await api.backend.setSessionCreatedAt(sha256Hex(token), new Date(Date.now() - 3 * DAY - MINUTE))
      expect(await reasonOf(await call(custom.url, '/api/auth/me', { cookie: `auth_session=${token}` }))).toBe('expired')
    }
    finally {
      await custom.stop()
    }
  })
})

describe.skipIf(skip)(onBackend('recent authentication', skip), () => {
  it('a stale session gets 403 reauthentication-required for another session, known or not, and logout-all; nothing changes', async () => {
    const { caller, other } = await twoSessions()
    await makeStale(caller.token)
    for (const id of [publicId(other.token), '0'.repeat(32), 'not-a-session']) {
      const response = await endSession(caller.cookie, id)
      const body = await expectJsonError(response, 403)
      expect(body.data).toEqual({ reason: 'reauthentication-required' })
      expect(sessionSetCookie(response)).toBeUndefined()
    }
    const all = await logoutAll(caller.cookie)
    expect((await expectJsonError(all, 403)).data).toEqual({ reason: 'reauthentication-required' })
    expect(sessionSetCookie(all)).toBeUndefined()
    expect(await sessionRow(other.token)).toBeDefined()
    expect(await sessionRow(caller.token)).toBeDefined()

    // Its own session needs none: that is a logout.
    const own = await endSession(caller.cookie, publicId(caller.token))
    expect(await own.json()).toBe(true)
    expectBlankCookie(sessionSetCookie(own))
  })

  it('a fresh session may end another session (and gets 404 for an unknown one) and log out everywhere', async () => {
    const { caller, other } = await twoSessions()
    await expectJsonError(await endSession(caller.cookie, '0'.repeat(32)), 404)
    expect(await (await endSession(caller.cookie, publicId(other.token))).json()).toBe(true)
    expect(await (await logoutAll(caller.cookie)).json()).toEqual({ ended: 1 })
  })

  it('NUXT_AUTH_REAUTH_MINUTES sets the window', async () => {
    const custom = await startServer({ DATABASE_URL: api.backend.databaseUrl, NUXT_AUTH_REAUTH_MINUTES: '30' })
    try {
      const { caller, other } = await twoSessions()
      // 11 minutes old: stale under the default, fresh under 30.
      await makeStale(caller.token)
      const response = await call(custom.url, `/api/auth/sessions/${publicId(other.token)}`, { method: 'DELETE', cookie: caller.cookie })
      expect(await response.json()).toBe(true)
      await api.backend.setSessionCreatedAt(sha256Hex(caller.token), new Date(Date.now() - 31 * MINUTE))
      await expectJsonError(await call(custom.url, '/api/auth/logout-all', { method: 'POST', cookie: caller.cookie }), 403)
    }
    finally {
      await custom.stop()
    }
  })

  describe('POST /api/auth/reauthenticate', () => {
    it('right password: 200 { reauthenticatedUntil }, a new token and row, the old row gone, other sessions untouched', async () => {
      const { caller, other } = await twoSessions()
      await makeStale(caller.token)
      const before = Date.now()
      const response = await reauthenticate(caller.cookie, { password: PASSWORD })
      expect(response.status).toBe(200)
      expect(response.headers.get('cache-control')).toBe('no-store')
      const { reauthenticatedUntil } = await response.json() as { reauthenticatedUntil: string }
      expect(Math.abs(Date.parse(reauthenticatedUntil) - (before + 10 * MINUTE))).toBeLessThan(5_000)
      const cookie = sessionSetCookie(response)!
      expect(cookie.value).toMatch(/^[a-z2-7]{40}$/)
      expect(cookie.value).not.toBe(caller.token)
      expect(Math.abs(Number(cookie.attributes['max-age']) * 1000 - 30 * DAY)).toBeLessThan(5_000)
      expect(response.headers.get('clear-site-data')).toBeNull()

      expect(await sessionRow(caller.token)).toBeUndefined()
      const row = await sessionRow(cookie.value)
      expect(Math.abs(row!.createdAt.getTime() - before)).toBeLessThan(5_000)
      expect(await sessionRow(other.token)).toBeDefined()
      // The old cookie is a plain 401 (a replaced session has no reason); the new one is fresh.
      expect(await reasonOf(await me(caller.cookie))).toBeUndefined()
      const fresh = `auth_session=${cookie.value}`
      expect(await (await endSession(fresh, publicId(other.token))).json()).toBe(true)
    })

    it('wrong password of any length 1 to 256: 403 invalid-password, nothing changes', async () => {
      const { caller } = await twoSessions()
      await makeStale(caller.token)
      for (const password of ['x', '1234567', 'p'.repeat(256)]) {
        const response = await reauthenticate(caller.cookie, { password })
        const body = await expectJsonError(response, 403)
        expect(body.data).toEqual({ reason: 'invalid-password' })
        expect(sessionSetCookie(response)).toBeUndefined()
      }
      expect(await sessionRow(caller.token)).toBeDefined()
      expect((await me(caller.cookie)).status).toBe(200)
      await expectJsonError(await logoutAll(caller.cookie), 403)
    })

    it('401 without a valid session, 400 for a bad body', async () => {
      await expectJsonError(await reauthenticate(undefined, { password: PASSWORD }), 401)
      await expectJsonError(await reauthenticate(`auth_session=${'a'.repeat(40)}`, { password: PASSWORD }), 401)
      const { cookie } = await signUpUser(api.server.url)
      for (const body of [{}, { password: '' }, { password: 'p'.repeat(257) }, { password: 42 }, '{', '[]']) {
        await expectJsonError(await reauthenticate(cookie, body), 400)
      }
      await expectJsonError(await call(api.server.url, '/api/auth/reauthenticate', { method: 'POST', cookie, body: 'password', headers: { 'content-type': 'text/plain' } }), 400)
      expect((await me(cookie)).status).toBe(200)
    })

    it('answers other methods with 405 and Allow: POST', async () => {
      const response = await call(api.server.url, '/api/auth/reauthenticate', { method: 'GET' })
      await expectJsonError(response, 405)
      expect(response.headers.get('allow')).toBe('POST')
    })

    it('counts a wrong password as a failed login: past the limit 429 with Retry-After, for log-in too', async () => {
      const limited = await startServer({ DATABASE_URL: api.backend.databaseUrl, NUXT_AUTH_LOGIN_MAX_FAILURES: '3' })
      try {
        const { user, cookie } = await signUpUser(limited.url)
        // An address of its own: the counters live in the database, shared with every other test.
        const from = newLoopbackAddress()
        const attempt = () => callFrom(from, limited.url, '/api/auth/reauthenticate', { body: { password: 'wrong password' }, cookie })
        for (let i = 0; i < 3; i++) expect((await attempt()).status).toBe(403)
        const refused = await attempt()
        await expectJsonError(refused, 429)
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
        // Log-in's counters: the email is locked out of log-in, even with the right password.
        const login = await callFrom(newLoopbackAddress(), limited.url, '/api/auth/login', { body: { email: user.email, password: PASSWORD } })
        await expectJsonError(login, 429)
        expect(login.headers.get('retry-after')).not.toBeNull()
      }
      finally {
        await limited.stop()
      }
    })

    it('answers 401 and starts no session when the session ends while the password is being checked', async () => {
      const { cookie } = await signUpUser(api.server.url)
      const sessions = await api.backend.count('session')
      const counters = await api.backend.count('rate_limit')
      const reauthentication = callFrom(newLoopbackAddress(), api.server.url, '/api/auth/reauthenticate', { body: { password: PASSWORD }, cookie })
      // The attempt is counted (new rows: a new email and address) once the session has been
      // validated and before the password is checked: end the session in that window.
      await expect.poll(() => api.backend.count('rate_limit'), { interval: 1, timeout: 5_000 }).toBeGreaterThan(counters)
      expect(await (await call(api.server.url, '/api/auth/logout', { method: 'POST', cookie })).json()).toBe(true)
      const response = await reauthentication
      await expectJsonError(response, 401)
      expect(sessionSetCookie(response)?.value ?? '').toBe('')
      // The logged-out session stays gone: no new one took its place.
      expect(await api.backend.count('session')).toBe(sessions - 1)
    })

    it('a right password does not count as a failure', async () => {
      const limited = await startServer({ DATABASE_URL: api.backend.databaseUrl, NUXT_AUTH_LOGIN_MAX_FAILURES: '2' })
      try {
        let { cookie } = await signUpUser(limited.url)
        const from = newLoopbackAddress()
        for (let i = 0; i < 4; i++) {
          const response = await callFrom(from, limited.url, '/api/auth/reauthenticate', { body: { password: PASSWORD }, cookie })
          expect(response.status).toBe(200)
          cookie = `auth_session=${sessionSetCookie(response)!.value}`
        }
      }
      finally {
        await limited.stop()
      }
    })
  })
})

describe.skipIf(skip)(onBackend('why a session ended', skip), () => {
  it('`revoked`: the session another one ended', async () => {
    const { caller, other } = await twoSessions()
    expect(await (await endSession(caller.cookie, publicId(other.token))).json()).toBe(true)
    const response = await me(other.cookie)
    expect(await reasonOf(response)).toBe('revoked')
    // Kept, not blanked: the browser's next request (a favicon fetch, another tab) learns it too.
    expect(sessionSetCookie(response)).toBeUndefined()
    expect(await reasonOf(await me(other.cookie))).toBe('revoked')
    // Every endpoint that needs a session says it.
    expect(await reasonOf(await call(api.server.url, '/api/auth/sessions', { cookie: other.cookie }))).toBe('revoked')
    expect(await reasonOf(await reauthenticate(other.cookie, { password: PASSWORD }))).toBe('revoked')
    // Logout keeps its bare false.
    expect(await (await logout(other.cookie)).text()).toBe('false')
  })

  it('`logged-out-everywhere`: every session logout-all ended, the caller\'s included', async () => {
    const { caller, other } = await twoSessions()
    expect(await (await logoutAll(caller.cookie)).json()).toEqual({ ended: 2 })
    expect(await reasonOf(await me(other.cookie))).toBe('logged-out-everywhere')
    expect(await reasonOf(await me(caller.cookie))).toBe('logged-out-everywhere')
  })

  it('stores reasons by public id, never the token or its hash', async () => {
    const { caller, other } = await twoSessions()
    await logoutAll(caller.cookie)
    const ends = await api.backend.sessionEnds()
    for (const { token } of [caller, other]) {
      const entry = ends.find(e => e.publicId === publicId(token))
      expect(entry?.reason).toBe('logged-out-everywhere')
      expect(Math.abs(entry!.endedAt.getTime() - Date.now())).toBeLessThan(60_000)
    }
    const dump = await api.backend.dump()
    for (const { token } of [caller, other]) {
      expect(dump).not.toContain(token)
      expect(dump).not.toContain(sha256Hex(token))
    }
  })

  it('no reason for a plain logout (which writes nothing), one\'s own DELETE, a malformed or an unknown cookie', async () => {
    const plain = await signUpUser(api.server.url)
    const endsBefore = await api.backend.count('session_end')
    expect(await (await logout(plain.cookie)).json()).toBe(true)
    expect(await api.backend.count('session_end')).toBe(endsBefore)
    const afterLogout = await me(plain.cookie)
    expect(await reasonOf(afterLogout)).toBeUndefined()
    // With no reason to tell, a cookie that names nothing is blanked.
    expectBlankCookie(sessionSetCookie(afterLogout))

    const own = await signUpUser(api.server.url)
    expect(await (await endSession(own.cookie, publicId(own.token))).json()).toBe(true)
    expect(await api.backend.count('session_end')).toBe(endsBefore)
    expect(await reasonOf(await me(own.cookie))).toBeUndefined()

    expect(await reasonOf(await me('auth_session=not-a-token'))).toBeUndefined()
    expect(await reasonOf(await me(`auth_session=${'b'.repeat(40)}`))).toBeUndefined()
    expect(await reasonOf(await me())).toBeUndefined()
  })
})

describe.skipIf(skip)(onBackend('Clear-Site-Data', skip), () => {
  const CLEAR = '"storage"'
  const clearOf = (response: Response) => response.headers.get('clear-site-data')

  it('is "storage" on every response that ends the caller\'s own session', async () => {
    const a = await signUpUser(api.server.url)
    const first = await logout(a.cookie)
    expect(await first.json()).toBe(true)
    expect(clearOf(first)).toBe(CLEAR)
    const second = await logout(a.cookie)
    expect(await second.json()).toBe(false)
    expect(clearOf(second)).toBe(CLEAR)

    const b = await signUpUser(api.server.url)
    expect(clearOf(await logoutAll(b.cookie))).toBe(CLEAR)

    const c = await signUpUser(api.server.url)
    expect(clearOf(await endSession(c.cookie, publicId(c.token)))).toBe(CLEAR)

    const d = await signUpUser(api.server.url)
    const deleted = await call(api.server.url, '/api/auth/account', { method: 'DELETE', cookie: d.cookie })
    expect(deleted.status).toBe(200)
    expect(clearOf(deleted)).toBe(CLEAR)
  })

  it('is on no other response', async () => {
    const email = uniqueEmail()
    const signup = await call(api.server.url, '/api/auth/signup', { body: { email, password: PASSWORD } })
    const cookie = `auth_session=${sessionSetCookie(signup)!.value}`
    const login = await call(api.server.url, '/api/auth/login', { body: { email, password: PASSWORD } })
    const other = `auth_session=${sessionSetCookie(login)!.value}`
    const responses: Record<string, Response> = {
      signup,
      login,
      'failed login': await call(api.server.url, '/api/auth/login', { body: { email, password: 'wrong password' } }),
      'me': await me(cookie),
      'sessions': await call(api.server.url, '/api/auth/sessions', { cookie }),
      'reauthenticate': await reauthenticate(other, { password: PASSWORD }),
      'wrong reauthentication': await reauthenticate(cookie, { password: 'wrong' }),
      'logout without a cookie': await logout(),
      'logout with a malformed cookie': await logout('auth_session=bad'),
      'cross-origin logout': await call(api.server.url, '/api/auth/logout', { method: 'POST', cookie, headers: { 'origin': 'https://evil.example', 'sec-fetch-site': 'cross-site' } }),
      'a 401 of an ended session': await me(`auth_session=${'c'.repeat(40)}`),
      'home page': await call(api.server.url, '/login'),
    }
    await makeStale(cookie.slice('auth_session='.length))
    responses['403 logout-all'] = await logoutAll(cookie)
    responses['403 account deletion'] = await call(api.server.url, '/api/auth/account', { method: 'DELETE', cookie })
    const fresh = await logIn(email)
    responses['ending another session'] = await endSession(fresh.cookie, publicId(cookie.slice('auth_session='.length)))
    responses['password change'] = await call(api.server.url, '/api/auth/password', { cookie: fresh.cookie, body: { currentPassword: PASSWORD, newPassword: 'another long password' } })
    const seen = Object.fromEntries(Object.entries(responses).map(([name, response]) => [name, clearOf(response)]))
    expect(seen).toEqual(Object.fromEntries(Object.keys(responses).map(name => [name, null])))
    expect(responses['password change']!.status).toBe(200)
  })

  it('is not on a 500: the store failing on logout keeps the cookie and the data', async () => {
    const { cookie } = await signUpUser(api.server.url)
    const release = await api.backend.holdWriteLock()
    let response: Response
    try {
      response = await logout(cookie)
    }
    finally {
      await release()
    }
    await expectJsonError(response, 500)
    expect(response.headers.getSetCookie()).toEqual([])
    expect(clearOf(response)).toBeNull()
  }, 20_000)
})

describe.skipIf(skip)(onBackend('auth events of these flows', skip), () => {
  /** The event lines the server logged for this user, in order. */
  const eventsOf = (userId: string) => api.server.logs().split('\n').filter(line => line.startsWith('{"event"'))
    .map(line => JSON.parse(line) as { event: string, userId?: string, sessionId?: string })
    .filter(line => line.userId === userId)

  it('logs reauthenticated, reauthentication-failed, session-revoked and logout-all, each naming the session by its public id', async () => {
    const { user, caller, other } = await twoSessions()
    await reauthenticate(caller.cookie, { password: 'wrong password' })
    const renewed = sessionSetCookie(await reauthenticate(caller.cookie, { password: PASSWORD }))!.value
    const cookie = `auth_session=${renewed}`
    await endSession(cookie, publicId(other.token))
    await logoutAll(cookie)

    // The server writes its log a moment after it answers.
    await expect.poll(() => eventsOf(user.id).map(e => [e.event, e.sessionId]).filter(([event]) => event !== 'signup' && event !== 'login')).toEqual([
      ['reauthentication-failed', publicId(caller.token)],
      // After a rotation, the new session.
      ['reauthenticated', publicId(renewed)],
      ['session-revoked', publicId(renewed)],
      ['logout-all', publicId(renewed)],
    ])
    const logs = api.server.logs()
    for (const token of [caller.token, renewed, other.token]) {
      expect(logs).not.toContain(token)
      expect(logs).not.toContain(sha256Hex(token))
    }
    expect(logs).not.toContain('wrong password')
  })
})

describe.skipIf(skip)(onBackend('POST /api/auth/login checks the password, not its rules', skip), () => {
  it('a wrong password of 1 to 256 characters is 401; an empty, missing or longer one is 400', async () => {
    const { user } = await signUpUser(api.server.url)
    const login = (body: unknown) => call(api.server.url, '/api/auth/login', { body })
    for (const password of ['x', '1234567', 'p'.repeat(256)]) {
      const body = await expectJsonError(await login({ email: user.email, password }), 401)
      expect(body.message).toBe('Invalid email or password')
    }
    for (const body of [{ email: user.email, password: '' }, { email: user.email }, { email: user.email, password: 'p'.repeat(257) }]) {
      const error = await expectJsonError(await login(body), 400)
      expect((error.data as { fields: Record<string, string> }).fields).toHaveProperty('password')
    }
  })
})
