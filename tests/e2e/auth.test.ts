import { describe, expect, it } from 'vitest'
import { call, PASSWORD, sendOn, sendTogether, sessionSetCookie, signUpUser, uniqueEmail } from '../support/client'
import { INJECTED_FAILURE } from '../support/backend'
import { onBackend, serveBackend, startServer, type TestServer } from '../support/server'
import { sha256Hex } from '../support/sqlite'

const api = await serveBackend()
const { skip } = api

const post = (path: string, body: unknown, options: { cookie?: string, headers?: Record<string, string> } = {}) =>
  call(api.server.url, path, { method: 'POST', body, ...options })

const DAY = 24 * 60 * 60

describe.skipIf(skip)(onBackend('POST /api/auth/signup', skip), () => {
  it('creates the user and a session: 201, normalised email, hashed token, argon2id password', async () => {
    const email = uniqueEmail()
    const response = await post('/api/auth/signup', { email: `  ${email.toUpperCase()} `, password: PASSWORD, user_agent: 'ignored' }, { headers: { 'user-agent': `agent-${'x'.repeat(400)}` } })
    expect(response.status).toBe(201)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const { user } = await response.json() as { user: { id: string, email: string } }
    expect(user.email).toBe(email)
    expect(user.id).toEqual(expect.any(String))

    const cookie = sessionSetCookie(response)!
    expect(cookie.value).toMatch(/^[a-z2-7]{40}$/)
    expect(cookie.attributes).toMatchObject({ path: '/', samesite: 'Lax', httponly: '', secure: '' })
    const maxAge = Number(cookie.attributes['max-age'])
    expect(maxAge).toBeGreaterThan(30 * DAY - 60)
    expect(maxAge).toBeLessThanOrEqual(30 * DAY)
    expect(Date.parse(cookie.attributes.expires!)).toBeGreaterThan(Date.now() + 30 * DAY * 1000 - 120_000)

    const row = await api.backend.sessionById(sha256Hex(cookie.value))
    expect(row?.userId).toBe(user.id)
    expect(await api.backend.sessionById(cookie.value)).toBeUndefined()
    expect(row!.expiresAt.getTime()).toBe(Date.parse(cookie.attributes.expires!))
    expect(Math.abs(row!.createdAt.getTime() - Date.now())).toBeLessThan(60_000)
    expect(row!.userAgent).toHaveLength(256)

    const stored = await api.backend.userById(user.id)
    expect(stored?.email).toBe(email)
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(stored?.passwordHash).not.toContain(PASSWORD)
  })

  it('answers 409 for a taken email, whatever its case, and creates nothing', async () => {
    const email = uniqueEmail()
    await signUpUser(api.server.url, email)
    const before = await api.backend.count('user')
    const response = await post('/api/auth/signup', { email: email.toUpperCase(), password: 'another password' })
    expect(response.status).toBe(409)
    expect(sessionSetCookie(response)).toBeUndefined()
    expect(await api.backend.count('user')).toBe(before)
  })

  it.each([
    ['missing email', { password: PASSWORD }, ['email']],
    ['missing password', { email: 'a@example.com' }, ['password']],
    ['invalid email', { email: 'not-an-email', password: PASSWORD }, ['email']],
    ['email over 254 characters', { email: `${'a'.repeat(245)}@example.com`, password: PASSWORD }, ['email']],
    ['password under 8 characters', { email: 'a@example.com', password: '1234567' }, ['password']],
    ['password over 256 characters', { email: 'a@example.com', password: 'p'.repeat(257) }, ['password']],
    ['wrong types', { email: 42, password: ['x'] }, ['email', 'password']],
    ['an array', [1, 2], ['body']],
    ['null', null, ['body']],
  ])('answers 400 naming the field for %s', async (_, body, fields) => {
    const response = await post('/api/auth/signup', body)
    expect(response.status).toBe(400)
    const error = await response.json() as { message: string, data?: { fields?: Record<string, string> } }
    for (const field of fields) expect(error.message).toContain(field)
    expect(Object.keys(error.data?.fields ?? {}).sort()).toEqual([...fields].sort())
    expect(sessionSetCookie(response)).toBeUndefined()
  })

  it('accepts an email of exactly 254 characters, and not of 255', async () => {
    // A local part of 64 and a domain of labels of at most 63 characters: valid but for length.
    const ofLength = (length: number) => `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(length - 201)}.example`
    expect(ofLength(254)).toHaveLength(254)
    expect((await post('/api/auth/signup', { email: ofLength(254), password: PASSWORD })).status).toBe(201)
    expect((await post('/api/auth/signup', { email: ofLength(255), password: PASSWORD })).status).toBe(400)
  })

  it('creates the user and the session together or not at all: a failing session insert leaves no user', async () => {
    const email = uniqueEmail()
    const users = await api.backend.count('user')
    const restore = await api.backend.failSessionInserts()
    let response: Response
    try {
      response = await post('/api/auth/signup', { email, password: PASSWORD })
    }
    finally {
      await restore()
    }
    expect(response.status).toBe(500)
    expect(sessionSetCookie(response)).toBeUndefined()
    const { requestId } = await response.json() as { requestId: string }
    expect(await api.server.waitForLog(requestId)).toContain(INJECTED_FAILURE)
    expect(await api.backend.count('user')).toBe(users)
    expect((await post('/api/auth/signup', { email, password: PASSWORD })).status).toBe(201)
  })

  it('accepts a password of exactly 8 and of 256 characters', async () => {
    for (const password of ['8chars!!', 'p'.repeat(256)]) {
      const response = await post('/api/auth/signup', { email: uniqueEmail(), password })
      expect(response.status).toBe(201)
    }
  })

  it.each([
    ['malformed JSON', '{"email": "a@example.com", ', 'application/json'],
    ['a form body', `email=${encodeURIComponent(uniqueEmail())}&password=${PASSWORD}`, 'application/x-www-form-urlencoded'],
    ['text/plain JSON', JSON.stringify({ email: uniqueEmail(), password: PASSWORD }), 'text/plain'],
    ['no content type', JSON.stringify({ email: uniqueEmail(), password: PASSWORD }), ''],
    ['an empty body', '', 'application/json'],
  ])('answers 400, not 500, for %s', async (_, body, contentType) => {
    const response = await post('/api/auth/signup', body, { headers: { 'content-type': contentType } })
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  })
})

describe.skipIf(skip)('POST /api/auth/login', () => {
  it('issues a new session on every login, ending the one the browser had', async () => {
    const email = uniqueEmail()
    const first = await signUpUser(api.server.url, email)
    const response = await post('/api/auth/login', { email: email.toUpperCase(), password: PASSWORD }, { cookie: first.cookie })
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.json()).toEqual({ user: first.user })
    const cookie = sessionSetCookie(response)!
    expect(cookie.value).toMatch(/^[a-z2-7]{40}$/)
    expect(cookie.value).not.toBe(first.token)
    expect(cookie.attributes).toMatchObject({ path: '/', samesite: 'Lax', httponly: '', secure: '' })

    expect((await call(api.server.url, '/api/auth/me', { cookie: `auth_session=${cookie.value}` })).status).toBe(200)
    expect((await call(api.server.url, '/api/auth/me', { cookie: first.cookie })).status).toBe(401)
  })

  it('answers an unknown email and a wrong password with the same 401', async () => {
    const email = uniqueEmail()
    await signUpUser(api.server.url, email)
    const wrongPassword = await post('/api/auth/login', { email, password: 'not the password' })
    const unknownEmail = await post('/api/auth/login', { email: uniqueEmail(), password: 'not the password' })
    expect(wrongPassword.status).toBe(401)
    expect(unknownEmail.status).toBe(401)
    expect(await wrongPassword.text()).toBe(await unknownEmail.text())
    expect(sessionSetCookie(wrongPassword)).toBeUndefined()
    expect(sessionSetCookie(unknownEmail)).toBeUndefined()
  })

  it('answers 400 for an invalid body', async () => {
    expect((await post('/api/auth/login', { email: 'nope' })).status).toBe(400)
    expect((await post('/api/auth/login', '{', { headers: { 'content-type': 'application/json' } })).status).toBe(400)
  })

  it.each([
    ['missing email', { password: PASSWORD }, 'email'],
    ['missing password', { email: 'a@example.com' }, 'password'],
  ])('answers 400 naming the field for %s', async (_, body, field) => {
    const response = await post('/api/auth/login', body)
    expect(response.status).toBe(400)
    const error = await response.json() as { message: string, data?: { fields?: Record<string, string> } }
    expect(error.message).toContain(field)
    expect(Object.keys(error.data?.fields ?? {})).toEqual([field])
  })

  it('does the same work for an unknown email as for a wrong password (median times, unknown at least half)', async () => {
    // A server of its own, so that these failures are not throttled.
    const timing = await startServer({ DATABASE_URL: api.backend.databaseUrl, NUXT_AUTH_LOGIN_MAX_FAILURES: '1000000' })
    try {
      const email = uniqueEmail()
      await signUpUser(timing.url, email)
      const timeLogin = async (as: string) => {
        const started = performance.now()
        const response = await call(timing.url, '/api/auth/login', { body: { email: as, password: 'not the password' } })
        expect(response.status).toBe(401)
        return performance.now() - started
      }
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!
      // Interleaved, so that a slow moment of the machine hits both alike; the first pair warms up.
      const known: number[] = []
      const unknown: number[] = []
      for (let i = 0; i < 12; i++) {
        const k = await timeLogin(email)
        const u = await timeLogin(uniqueEmail())
        if (i === 0) continue
        known.push(k)
        unknown.push(u)
      }
      expect(median(unknown), `medians: unknown ${median(unknown)} ms, known ${median(known)} ms`).toBeGreaterThanOrEqual(0.5 * median(known))
    }
    finally {
      await timing.stop()
    }
  })
})

describe.skipIf(skip)('GET /api/auth/me', () => {
  it('returns the user and the session expiry', async () => {
    const { user, cookie } = await signUpUser(api.server.url)
    const response = await call(api.server.url, '/api/auth/me', { cookie })
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const body = await response.json() as { user: unknown, session: { expiresAt: string } }
    expect(body.user).toEqual(user)
    expect(body.session.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
    expect(Date.parse(body.session.expiresAt)).toBeGreaterThan(Date.now() + 29 * DAY * 1000)
    expect(sessionSetCookie(response)).toBeUndefined()
  })

  // Lookups that arrive together share one read transaction on SQLite (server/database/sqlite.ts):
  // each request must still get its own user, and no user for a session that does not exist.
  it('answers many requests at once, each with its own user, and 401 for an unknown session among them', async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => signUpUser(api.server.url)))
    const unknown = `auth_session=${'a'.repeat(40)}`
    const requests = Array.from({ length: 5 }, () => [...users.map(({ cookie, user }) => ({ cookie, user })), { cookie: unknown, user: undefined }]).flat()
    // Held until all are out: on SQLite, a logout behind a write lock stalls the server (its
    // commit waits for the lock), so that the lookups arrive together and share a read.
    const blocker = await signUpUser(api.server.url)
    let logout: ReturnType<typeof sendOn> | undefined
    const answers = await sendTogether(api.server.url, requests.map(({ cookie }) => ({ method: 'GET', path: '/api/auth/me', cookie })), async () => {
      const release = await api.backend.holdWriteLock()
      try {
        logout = sendOn(false, api.server.url, { method: 'POST', path: '/api/auth/logout', cookie: blocker.cookie })
        await logout.handedOver
      }
      catch (error) {
        await release()
        throw error
      }
      return release
    })
    expect(await logout?.answered).toEqual({ status: 200, body: 'true' })
    expect(answers.map(({ status, body }) => ({ status, user: (JSON.parse(body) as { user?: unknown }).user })))
      .toEqual(requests.map(({ user }) => user ? { status: 200, user } : { status: 401, user: undefined }))
  })

  it('answers 401 without a session, and blanks a cookie that names none', async () => {
    const none = await call(api.server.url, '/api/auth/me')
    expect(none.status).toBe(401)
    expect(sessionSetCookie(none)).toBeUndefined()

    const stale = await call(api.server.url, '/api/auth/me', { cookie: `auth_session=${'b'.repeat(40)}` })
    expect(stale.status).toBe(401)
    expect(sessionSetCookie(stale)?.attributes['max-age']).toBe('0')
  })

  it('answers HEAD as it would GET, without a body, on /me and /sessions', async () => {
    const { cookie } = await signUpUser(api.server.url)
    for (const path of ['/api/auth/me', '/api/auth/sessions']) {
      const signedIn = await call(api.server.url, path, { method: 'HEAD', cookie })
      expect(signedIn.status, path).toBe(200)
      expect(signedIn.headers.get('content-type'), path).toMatch(/^application\/json/)
      expect(await signedIn.text(), path).toBe('')
      expect((await call(api.server.url, path, { method: 'HEAD' })).status, path).toBe(401)
    }
  })

  it('slides a session in the second half of its life and re-sends the cookie', async () => {
    const { token, cookie } = await signUpUser(api.server.url)
    const tenDaysLeft = new Date(Date.now() + 10 * DAY * 1000)
    await api.backend.setSessionExpiry(sha256Hex(token), tenDaysLeft)

    const response = await call(api.server.url, '/api/auth/me', { cookie })
    expect(response.status).toBe(200)
    const refreshed = sessionSetCookie(response)!
    expect(refreshed.value).toBe(token)
    expect(Number(refreshed.attributes['max-age'])).toBeGreaterThan(29 * DAY)
    const row = await api.backend.sessionById(sha256Hex(token))
    expect(row!.expiresAt.getTime()).toBeGreaterThan(tenDaysLeft.getTime() + 19 * DAY * 1000)
  })

  it('answers 405 as JSON for other methods', async () => {
    const response = await call(api.server.url, '/api/auth/me', { method: 'POST', headers: { accept: 'text/html' } })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, HEAD')
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  })
})

describe.skipIf(skip)('GET /api/health', () => {
  it('answers 200 true as JSON', async () => {
    const response = await call(api.server.url, '/api/health')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await response.json()).toBe(true)
  })
})

describe.skipIf(skip)('NUXT_AUTH_TRUST_PROXY and the CSRF check', () => {
  // A browser's cross-origin-looking request: an Origin, no Sec-Fetch-Site (older browsers).
  const fromOrigin = (target: TestServer, forwardedHost: string) => call(target.url, '/api/auth/logout', {
    method: 'POST',
    headers: { 'origin': 'https://app.example', 'x-forwarded-host': forwardedHost },
  })

  it('compares the Origin with X-Forwarded-Host only behind a trusted proxy', async () => {
    // Untrusted: the forwarded host is ignored, and the Origin does not match the real Host.
    expect((await fromOrigin(api.server, 'app.example')).status).toBe(403)
    const proxied = await startServer({ DATABASE_URL: api.backend.databaseUrl, NUXT_AUTH_TRUST_PROXY: 'true' })
    try {
      // Same origin as the proxy's host: allowed through (401: no cookie).
      expect((await fromOrigin(proxied, 'app.example')).status).toBe(401)
      expect((await fromOrigin(proxied, 'other.example')).status).toBe(403)
    }
    finally {
      await proxied.stop()
    }
  })
})

describe.skipIf(skip)('unknown API paths', () => {
  it('answer a JSON 404', async () => {
    const response = await call(api.server.url, '/api/nope', { headers: { accept: 'text/html' } })
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  })
})

describe.skipIf(skip)('NUXT_AUTH_COOKIE_SECURE=false', () => {
  it('drops Secure for plain-HTTP production use, keeping the other attributes', async () => {
    const plain = await startServer({ DATABASE_URL: api.backend.databaseUrl, NUXT_AUTH_COOKIE_SECURE: 'false' })
    try {
      const response = await call(plain.url, '/api/auth/signup', { body: { email: uniqueEmail(), password: PASSWORD } })
      const cookie = sessionSetCookie(response)!
      expect(cookie.attributes).not.toHaveProperty('secure')
      expect(cookie.attributes).toMatchObject({ path: '/', samesite: 'Lax', httponly: '' })
    }
    finally {
      await plain.stop()
    }
  })
})
