import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { call, sendTogether, sessionSetCookie, signUpUser } from '../support/client'
import { expectBlankCookie, expectJsonError } from '../support/expect'
import { onBackend, serveBackend } from '../support/server'
import { sha256Hex } from '../support/sqlite'

const TRUSTED = 'https://app.trusted.example'

const api = await serveBackend({ NUXT_AUTH_TRUSTED_ORIGINS: `${TRUSTED}, https://other.trusted.example` })
const { skip } = api

const logout = (cookie?: string, headers?: Record<string, string>) =>
  call(api.server.url, '/api/auth/logout', { method: 'POST', cookie, headers })

const sessionRow = (token: string) => api.backend.sessionById(sha256Hex(token))

describe.skipIf(skip)(onBackend('POST /api/auth/logout', skip), () => {
  it('ends an active session: 200 true as bare JSON, blank cookie, row gone', async () => {
    const { token, cookie } = await signUpUser(api.server.url)
    expect(await sessionRow(token)).toBeDefined()

    const response = await logout(cookie)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.text()).toBe('true')
    expectBlankCookie(sessionSetCookie(response))
    expect(await sessionRow(token)).toBeUndefined()

    const me = await call(api.server.url, '/api/auth/me', { cookie })
    expect(me.status).toBe(401)
  })

  it('answers 200 false for the same cookie again, and for an unknown well-formed token', async () => {
    const { cookie } = await signUpUser(api.server.url)
    expect(await (await logout(cookie)).json()).toBe(true)

    const again = await logout(cookie)
    expect(again.status).toBe(200)
    expect(await again.json()).toBe(false)
    expectBlankCookie(sessionSetCookie(again))

    const unknown = await logout(`auth_session=${'a'.repeat(40)}`)
    expect(unknown.status).toBe(200)
    expect(await unknown.json()).toBe(false)
    expectBlankCookie(sessionSetCookie(unknown))
  })

  it('answers 200 false for an expired session and deletes its row', async () => {
    const { token, cookie } = await signUpUser(api.server.url)
    await api.backend.setSessionExpiry(sha256Hex(token), new Date(Date.now() - 1000))

    const response = await logout(cookie)
    expect(response.status).toBe(200)
    expect(await response.json()).toBe(false)
    expectBlankCookie(sessionSetCookie(response))
    expect(await sessionRow(token)).toBeUndefined()
  })

  it('answers 401 with no Set-Cookie when there is no cookie or an empty one', async () => {
    for (const cookie of [undefined, 'auth_session=', 'other=1']) {
      const response = await logout(cookie)
      await expectJsonError(response, 401)
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(sessionSetCookie(response)?.value ?? '').toBe('')
    }
  })

  it('answers 401 and blanks a malformed cookie without touching any session', async () => {
    const { token } = await signUpUser(api.server.url)
    const before = await api.backend.count('session')
    for (const value of ['xyz', token.toUpperCase(), `${token}a`, token.slice(1), `${token.slice(0, 39)}1`, sha256Hex(token)]) {
      const response = await logout(`auth_session=${value}`)
      await expectJsonError(response, 401)
      expectBlankCookie(sessionSetCookie(response))
    }
    expect(await api.backend.count('session')).toBe(before)
    expect(await sessionRow(token)).toBeDefined()
  })

  it('refuses a browser request from an untrusted origin with 403, no cookie change, session intact', async () => {
    const { token, cookie } = await signUpUser(api.server.url)
    const cases: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { 'origin': 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'null' },
      { origin: new URL(api.server.url).origin.replace(/:\d+$/, ':1') },
    ]
    for (const headers of cases) {
      const response = await logout(cookie, headers)
      await expectJsonError(response, 403)
      expect(sessionSetCookie(response)).toBeUndefined()
      expect(response.headers.get('access-control-allow-origin')).toBeNull()
    }
    expect(await sessionRow(token)).toBeDefined()
  })

  it('accepts same-origin browser requests (by Origin or Sec-Fetch-Site)', async () => {
    const sameOrigin: Record<string, string>[] = [{ origin: api.server.url }, { 'sec-fetch-site': 'same-origin', 'origin': api.server.url }, { 'sec-fetch-site': 'none' }]
    for (const headers of sameOrigin) {
      const { cookie } = await signUpUser(api.server.url)
      const response = await logout(cookie, headers)
      expect(response.status).toBe(200)
      expect(await response.json()).toBe(true)
    }
  })

  it('answers a trusted origin with CORS-with-credentials, and its preflight', async () => {
    const preflight = await call(api.server.url, '/api/auth/logout', {
      method: 'OPTIONS',
      headers: { 'origin': TRUSTED, 'access-control-request-method': 'POST' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe(TRUSTED)
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true')
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST')

    const { cookie } = await signUpUser(api.server.url)
    const response = await logout(cookie, { 'origin': TRUSTED, 'sec-fetch-site': 'cross-site' })
    expect(response.status).toBe(200)
    expect(await response.json()).toBe(true)
    expect(response.headers.get('access-control-allow-origin')).toBe(TRUSTED)
    expect(response.headers.get('access-control-allow-credentials')).toBe('true')
    expect(response.headers.get('vary')).toMatch(/origin/i)

    const untrustedPreflight = await call(api.server.url, '/api/auth/logout', {
      method: 'OPTIONS',
      headers: { 'origin': 'https://evil.example', 'access-control-request-method': 'POST' },
    })
    expect(untrustedPreflight.headers.get('access-control-allow-origin')).toBeNull()
    expect(untrustedPreflight.headers.get('access-control-allow-credentials')).toBeNull()
  })

  it('answers other methods with 405, Allow: POST and JSON, even when a browser asks for HTML', async () => {
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
      const response = await call(api.server.url, '/api/auth/logout', { method, headers: { accept: 'text/html,application/xhtml+xml' } })
      await expectJsonError(response, 405)
      expect(response.headers.get('allow')).toBe('POST')
    }
  })

  it('gives exactly one true to concurrent logouts of one session', async () => {
    const { cookie } = await signUpUser(api.server.url)
    const results = await Promise.all(Array.from({ length: 20 }, async () => (await logout(cookie)).json()))
    expect(results.filter(r => r === true)).toHaveLength(1)
    expect(results.filter(r => r === false)).toHaveLength(19)
  })

  // On SQLite the logouts that arrive together are committed in one transaction (group commit,
  // server/database/sqlite.ts): each still gets its own answer, and a failure fails them all.
  it('answers many logouts at once each for its own session: true for every real one, false for unknown ones between them', async () => {
    const users = await Promise.all(Array.from({ length: 36 }, () => signUpUser(api.server.url)))
    const base32 = 'abcdefghijklmnopqrstuvwxyz234567'
    const unknownToken = (i: number) => `${base32[i % 32]}${base32[Math.floor(i / 32)]}${'b'.repeat(38)}`
    // No pattern that reads the same backwards, in whole or from any early request on, so that
    // answers given to the wrong requests of a batch show.
    const unknownsAfter = [1, 2, 0, 0]
    const requests = users.flatMap(({ token, cookie }, i) => [
      { token, cookie },
      ...Array.from({ length: unknownsAfter[i % 4]! }, (_, j) => ({ token: undefined, cookie: `auth_session=${unknownToken(2 * i + j)}` })),
    ])
    // Held behind a write lock until all are out, so that on SQLite they share a commit (or two).
    const answers = await sendTogether(api.server.url, requests.map(({ cookie }) => ({ method: 'POST', path: '/api/auth/logout', cookie })), () => api.backend.holdWriteLock())
    expect(answers).toEqual(requests.map(({ token }) => ({ status: 200, body: String(token !== undefined) })))
    for (const { token } of users) expect(await sessionRow(token)).toBeUndefined()
  })

  it('fails every logout sent together when the store fails, and ends none of their sessions', async () => {
    const users = await Promise.all(Array.from({ length: 5 }, () => signUpUser(api.server.url)))
    const release = await api.backend.holdWriteLock()
    let responses: Response[]
    try {
      responses = await Promise.all(users.map(({ cookie }) => logout(cookie)))
    }
    finally {
      await release()
    }
    for (const response of responses) {
      await expectJsonError(response, 500)
      expect(response.headers.getSetCookie()).toEqual([])
    }
    for (const { token } of users) expect(await sessionRow(token)).toBeDefined()
    for (const { cookie } of users) expect(await (await logout(cookie)).json()).toBe(true)
  }, 30_000)

  it('answers 500 with a generic body and keeps the cookie when the store fails, then recovers', async () => {
    const { token, cookie } = await signUpUser(api.server.url)
    // Another writer holds the session table's lock past the server's lock timeout (5 s).
    const release = await api.backend.holdWriteLock()
    let response: Response
    try {
      response = await logout(cookie)
    }
    finally {
      await release()
    }
    const body = await expectJsonError(response, 500)
    expect(body.message).not.toMatch(/lock|busy|sqlite/i)
    expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(response.headers.getSetCookie()).toEqual([])
    expect(await api.server.waitForLog(String(body.requestId))).toMatch(api.backend.lockTimeoutLog)
    expect(await sessionRow(token)).toBeDefined()

    const retry = await logout(cookie)
    expect(retry.status).toBe(200)
    expect(await retry.json()).toBe(true)
  }, 20_000)

  it('keeps the token itself out of the database', async () => {
    const { token } = await signUpUser(api.server.url)
    expect(await sessionRow(token)).toBeDefined()
    expect(await api.backend.dump()).not.toContain(token)
    if (api.backend.name === 'sqlite') {
      for (const file of [api.backend.databaseUrl, `${api.backend.databaseUrl}-wal`].filter(existsSync)) {
        expect(readFileSync(file).includes(token)).toBe(false)
      }
    }
  })
})
