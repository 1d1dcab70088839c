import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type Database from 'better-sqlite3'
import { call, PASSWORD, sessionSetCookie, signUpUser, uniqueEmail } from '../support/client'
import { startServer, type TestServer } from '../support/server'
import { openDatabase, sha256Hex } from '../support/sqlite'

let server: TestServer
let db: Database.Database

beforeAll(async () => {
  server = await startServer()
  db = openDatabase(server.dbPath)
})
afterAll(async () => {
  db?.close()
  await server?.stop()
})

const post = (path: string, body: unknown, options: { cookie?: string, headers?: Record<string, string> } = {}) =>
  call(server.url, path, { method: 'POST', body, ...options })

const DAY = 24 * 60 * 60

describe('POST /api/auth/signup', () => {
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

    const row = db.prepare('select * from session where user_id = ?').get(user.id) as Record<string, unknown>
    expect(row.id).toBe(sha256Hex(cookie.value))
    expect(row.id).not.toBe(cookie.value)
    expect(row.expires_at).toBe(Math.floor(Date.parse(cookie.attributes.expires!) / 1000))
    expect(Math.abs(Number(row.created_at) - Date.now() / 1000)).toBeLessThan(60)
    expect(row.user_agent).toHaveLength(256)

    const stored = db.prepare('select * from user where id = ?').get(user.id) as Record<string, unknown>
    expect(stored.email).toBe(email)
    expect(stored.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(String(stored.password_hash)).not.toContain(PASSWORD)
  })

  it('answers 409 for a taken email, whatever its case, and creates nothing', async () => {
    const email = uniqueEmail()
    await signUpUser(server.url, email)
    const users = () => (db.prepare('select count(*) as n from user').get() as { n: number }).n
    const before = users()
    const response = await post('/api/auth/signup', { email: email.toUpperCase(), password: 'another password' })
    expect(response.status).toBe(409)
    expect(sessionSetCookie(response)).toBeUndefined()
    expect(users()).toBe(before)
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

describe('POST /api/auth/login', () => {
  it('issues a new session on every login, ending the one the browser had', async () => {
    const email = uniqueEmail()
    const first = await signUpUser(server.url, email)
    const response = await post('/api/auth/login', { email: email.toUpperCase(), password: PASSWORD }, { cookie: first.cookie })
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.json()).toEqual({ user: first.user })
    const cookie = sessionSetCookie(response)!
    expect(cookie.value).toMatch(/^[a-z2-7]{40}$/)
    expect(cookie.value).not.toBe(first.token)
    expect(cookie.attributes).toMatchObject({ path: '/', samesite: 'Lax', httponly: '', secure: '' })

    expect((await call(server.url, '/api/auth/me', { cookie: `auth_session=${cookie.value}` })).status).toBe(200)
    expect((await call(server.url, '/api/auth/me', { cookie: first.cookie })).status).toBe(401)
  })

  it('answers an unknown email and a wrong password with the same 401', async () => {
    const email = uniqueEmail()
    await signUpUser(server.url, email)
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
})

describe('GET /api/auth/me', () => {
  it('returns the user and the session expiry', async () => {
    const { user, cookie } = await signUpUser(server.url)
    const response = await call(server.url, '/api/auth/me', { cookie })
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const body = await response.json() as { user: unknown, session: { expiresAt: string } }
    expect(body.user).toEqual(user)
    expect(body.session.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
    expect(Date.parse(body.session.expiresAt)).toBeGreaterThan(Date.now() + 29 * DAY * 1000)
    expect(sessionSetCookie(response)).toBeUndefined()
  })

  it('answers 401 without a session, and blanks a cookie that names none', async () => {
    const none = await call(server.url, '/api/auth/me')
    expect(none.status).toBe(401)
    expect(sessionSetCookie(none)).toBeUndefined()

    const stale = await call(server.url, '/api/auth/me', { cookie: `auth_session=${'b'.repeat(40)}` })
    expect(stale.status).toBe(401)
    expect(sessionSetCookie(stale)?.attributes['max-age']).toBe('0')
  })

  it('slides a session in the second half of its life and re-sends the cookie', async () => {
    const { token, cookie } = await signUpUser(server.url)
    const tenDaysLeft = Math.floor(Date.now() / 1000) + 10 * DAY
    db.prepare('update session set expires_at = ? where id = ?').run(tenDaysLeft, sha256Hex(token))

    const response = await call(server.url, '/api/auth/me', { cookie })
    expect(response.status).toBe(200)
    const refreshed = sessionSetCookie(response)!
    expect(refreshed.value).toBe(token)
    expect(Number(refreshed.attributes['max-age'])).toBeGreaterThan(29 * DAY)
    const row = db.prepare('select expires_at from session where id = ?').get(sha256Hex(token)) as { expires_at: number }
    expect(row.expires_at).toBeGreaterThan(tenDaysLeft + 19 * DAY)
  })

  it('answers 405 as JSON for other methods', async () => {
    const response = await call(server.url, '/api/auth/me', { method: 'POST', headers: { accept: 'text/html' } })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET')
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  })
})

describe('unknown API paths', () => {
  it('answer a JSON 404', async () => {
    const response = await call(server.url, '/api/nope', { headers: { accept: 'text/html' } })
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  })
})

describe('NUXT_AUTH_COOKIE_SECURE=false', () => {
  it('drops Secure for plain-HTTP production use, keeping the other attributes', async () => {
    const plain = await startServer({ NUXT_AUTH_COOKIE_SECURE: 'false' })
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
