import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { call, callFrom, newLoopbackAddress, PASSWORD, sessionSetCookie, signUpUser } from '../support/client'
import { expectBlankCookie, expectJsonError } from '../support/expect'
import { onBackend, serveBackend, startServer } from '../support/server'
import { sha256Hex } from '../support/sqlite'

// Contract sections "Password change" and "Account deletion", on this run's backend.

const api = await serveBackend()
const { skip } = api

const NEW_PASSWORD = 'a different long passphrase'
const MINUTE = 60 * 1000

const publicId = (token: string) => createHash('sha256').update(`public:${sha256Hex(token)}`).digest('hex').slice(0, 32)
const sessionRow = (token: string) => api.backend.sessionById(sha256Hex(token))
const me = (cookie: string) => call(api.server.url, '/api/auth/me', { cookie })
const changePassword = (cookie: string | undefined, body: unknown, server = api.server.url) => call(server, '/api/auth/password', { body, cookie })
const deleteAccount = (cookie?: string) => call(api.server.url, '/api/auth/account', { method: 'DELETE', cookie })
const login = (email: string, password: string, server = api.server.url) => call(server, '/api/auth/login', { body: { email, password } })

async function logIn(email: string) {
  const response = await login(email, PASSWORD)
  expect(response.status).toBe(200)
  const token = sessionSetCookie(response)!.value
  return { token, cookie: `auth_session=${token}` }
}

async function reasonOf(response: Response) {
  const body = await expectJsonError(response, 401)
  return (body.data as { reason?: string } | undefined)?.reason
}

describe.skipIf(skip)(onBackend('POST /api/auth/password', skip), () => {
  it('replaces the hash, ends every other session (`password-changed`), rotates the caller\'s: { endedSessions }', async () => {
    const caller = await signUpUser(api.server.url)
    const others = [await logIn(caller.user.email), await logIn(caller.user.email)]
    const bystander = await signUpUser(api.server.url)
    const hashBefore = (await api.backend.userById(caller.user.id))!.passwordHash
    // A stale session may change the password: the current password is the re-authentication.
    await api.backend.setSessionCreatedAt(sha256Hex(caller.token), new Date(Date.now() - 60 * MINUTE))

    const response = await changePassword(caller.cookie, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ endedSessions: 2 })
    expect(response.headers.get('clear-site-data')).toBeNull()
    const cookie = sessionSetCookie(response)!
    expect(cookie.value).toMatch(/^[a-z2-7]{40}$/)
    expect(cookie.value).not.toBe(caller.token)

    expect((await api.backend.userById(caller.user.id))!.passwordHash).not.toBe(hashBefore)
    expect(await sessionRow(caller.token)).toBeUndefined()
    expect((await me(`auth_session=${cookie.value}`)).status).toBe(200)
    for (const other of others) {
      expect(await sessionRow(other.token)).toBeUndefined()
      expect(await reasonOf(await me(other.cookie))).toBe('password-changed')
    }
    // The old cookie was replaced, not ended by someone: no reason.
    expect(await reasonOf(await me(caller.cookie))).toBeUndefined()
    expect((await me(bystander.cookie)).status).toBe(200)

    await expectJsonError(await login(caller.user.email, PASSWORD), 401)
    expect((await login(caller.user.email, NEW_PASSWORD)).status).toBe(200)
  })

  it('a wrong current password: 403 invalid-password, nothing changes', async () => {
    const caller = await signUpUser(api.server.url)
    const other = await logIn(caller.user.email)
    const hashBefore = (await api.backend.userById(caller.user.id))!.passwordHash
    const response = await changePassword(caller.cookie, { currentPassword: 'not the password', newPassword: NEW_PASSWORD })
    expect((await expectJsonError(response, 403)).data).toEqual({ reason: 'invalid-password' })
    expect(sessionSetCookie(response)).toBeUndefined()
    expect((await api.backend.userById(caller.user.id))!.passwordHash).toBe(hashBefore)
    expect((await me(caller.cookie)).status).toBe(200)
    expect((await me(other.cookie)).status).toBe(200)
  })

  it('400 naming the field for an invalid body, 401 without a session, 405 for other methods', async () => {
    const { cookie } = await signUpUser(api.server.url)
    const cases: Array<[unknown, string]> = [
      [{ currentPassword: PASSWORD, newPassword: '1234567' }, 'newPassword'],
      [{ currentPassword: PASSWORD, newPassword: 'p'.repeat(257) }, 'newPassword'],
      [{ currentPassword: PASSWORD }, 'newPassword'],
      [{ newPassword: NEW_PASSWORD }, 'currentPassword'],
      [{ currentPassword: '', newPassword: NEW_PASSWORD }, 'currentPassword'],
    ]
    for (const [body, field] of cases) {
      const error = await expectJsonError(await changePassword(cookie, body), 400)
      expect(error.message).toContain(field)
      expect((error.data as { fields: Record<string, string> }).fields).toHaveProperty(field)
    }
    await expectJsonError(await changePassword(cookie, '{'), 400)
    await expectJsonError(await changePassword(undefined, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }), 401)
    const other = await call(api.server.url, '/api/auth/password', { method: 'GET' })
    await expectJsonError(other, 405)
    expect(other.headers.get('allow')).toBe('POST')
    expect((await me(cookie)).status).toBe(200)
  })

  it('counts a wrong current password on log-in\'s counters: 429 with Retry-After past the limit', async () => {
    const limited = await startServer({ DATABASE_URL: api.backend.databaseUrl, NUXT_AUTH_LOGIN_MAX_FAILURES: '2' })
    try {
      const { user, cookie } = await signUpUser(limited.url)
      // An address of its own: the counters live in the database, shared with every other test.
      const from = newLoopbackAddress()
      const attempt = () => callFrom(from, limited.url, '/api/auth/password', { body: { currentPassword: 'wrong password', newPassword: NEW_PASSWORD }, cookie })
      for (let i = 0; i < 2; i++) expect((await attempt()).status).toBe(403)
      const refused = await attempt()
      await expectJsonError(refused, 429)
      expect(refused.headers.get('retry-after')).not.toBeNull()
      // Log-in's per-email counter: locked out from any address.
      await expectJsonError(await callFrom(newLoopbackAddress(), limited.url, '/api/auth/login', { body: { email: user.email, password: PASSWORD } }), 429)
    }
    finally {
      await limited.stop()
    }
  })
})

describe.skipIf(skip)(onBackend('DELETE /api/auth/account', skip), () => {
  it('deletes the user with every session: 200 true, blank cookie, Clear-Site-Data; the others 401 `account-deleted`', async () => {
    const caller = await signUpUser(api.server.url)
    const other = await logIn(caller.user.email)
    const bystander = await signUpUser(api.server.url)

    const response = await deleteAccount(caller.cookie)
    expect(response.status).toBe(200)
    expect(await response.json()).toBe(true)
    expectBlankCookie(sessionSetCookie(response))
    expect(response.headers.get('clear-site-data')).toBe('"storage"')

    expect(await api.backend.userById(caller.user.id)).toBeUndefined()
    expect(await sessionRow(caller.token)).toBeUndefined()
    expect(await sessionRow(other.token)).toBeUndefined()
    expect(await reasonOf(await me(other.cookie))).toBe('account-deleted')
    expect((await me(bystander.cookie)).status).toBe(200)

    // The email is free again.
    await expectJsonError(await login(caller.user.email, PASSWORD), 401)
    expect((await call(api.server.url, '/api/auth/signup', { body: { email: caller.user.email, password: PASSWORD } })).status).toBe(201)
  })

  it('needs recent authentication (403, nothing deleted) and a session (401)', async () => {
    const caller = await signUpUser(api.server.url)
    await api.backend.setSessionCreatedAt(sha256Hex(caller.token), new Date(Date.now() - 11 * MINUTE))
    const response = await deleteAccount(caller.cookie)
    expect((await expectJsonError(response, 403)).data).toEqual({ reason: 'reauthentication-required' })
    expect(sessionSetCookie(response)).toBeUndefined()
    expect(response.headers.get('clear-site-data')).toBeNull()
    expect(await api.backend.userById(caller.user.id)).toBeDefined()

    // After re-authenticating it works.
    const reauth = await call(api.server.url, '/api/auth/reauthenticate', { body: { password: PASSWORD }, cookie: caller.cookie })
    expect(reauth.status).toBe(200)
    expect((await deleteAccount(`auth_session=${sessionSetCookie(reauth)!.value}`)).status).toBe(200)
    expect(await api.backend.userById(caller.user.id)).toBeUndefined()

    await expectJsonError(await deleteAccount(), 401)
    const other = await call(api.server.url, '/api/auth/account', { method: 'POST' })
    await expectJsonError(other, 405)
    expect(other.headers.get('allow')).toBe('DELETE')
  })

  it('logs password-changed (the new session) and account-deleted', async () => {
    const caller = await signUpUser(api.server.url)
    const changed = await changePassword(caller.cookie, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
    const token = sessionSetCookie(changed)!.value
    expect((await deleteAccount(`auth_session=${token}`)).status).toBe(200)
    // The server writes its log a moment after it answers.
    const events = () => api.server.logs().split('\n').filter(line => line.startsWith('{"event"'))
      .map(line => JSON.parse(line) as { event: string, userId?: string, sessionId?: string })
      .filter(line => line.userId === caller.user.id && line.event !== 'signup')
      .map(line => [line.event, line.sessionId])
    await expect.poll(events).toEqual([['password-changed', publicId(token)], ['account-deleted', publicId(token)]])
    expect(api.server.logs()).not.toContain(NEW_PASSWORD)
  })

  it('records `account-deleted` for that user\'s sessions only', async () => {
    const a = await signUpUser(api.server.url)
    const b = await signUpUser(api.server.url)
    expect((await deleteAccount(a.cookie)).status).toBe(200)
    const ends = await api.backend.sessionEnds()
    expect(ends.find(e => e.publicId === publicId(a.token))?.reason).toBe('account-deleted')
    expect(ends.find(e => e.publicId === publicId(b.token))).toBeUndefined()
  })
})
