import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { request } from 'node:http'
import { afterAll, describe, expect, it } from 'vitest'
import { call, callFrom, newLoopbackAddress, PASSWORD, sessionSetCookie, signUpUser, uniqueEmail } from '../support/client'
import { expectJsonError } from '../support/expect'
import { onBackend, serveBackend, startServer } from '../support/server'
import { resetLink, startSmtpServer } from '../support/smtp'
import { sha256Hex } from '../support/sqlite'

// A real SMTP server, and the production build sending to it over TCP.
const smtp = await startSmtpServer()
afterAll(() => smtp.close())

const ORIGIN = 'https://app.example'
const FROM = 'reset@app.example'
// Trusting the proxy makes the server believe X-Forwarded-Host elsewhere: the link must still not.
const api = await serveBackend({ NUXT_MAIL_SMTP_URL: smtp.url, NUXT_MAIL_FROM: FROM, NUXT_AUTH_ORIGIN: ORIGIN, NUXT_AUTH_TRUST_PROXY: 'true' })
const { skip } = api

const NEW_PASSWORD = 'a brand new password'
const ACCEPTED = { message: 'If an account has this email, a link to reset its password is on its way.' }

// Each from a loopback address of its own: the endpoints' per-address throttles
// (password-reset-throttle.test.ts) would otherwise add up over this file's requests.
const requestReset = (email: string, headers: Record<string, string> = {}) =>
  callFrom(newLoopbackAddress(), api.server.url, '/api/auth/password-reset', { body: { email }, headers })

const confirm = (body: unknown, cookie?: string) =>
  callFrom(newLoopbackAddress(), api.server.url, '/api/auth/password-reset/confirm', { body, cookie })

const logInStatus = async (email: string, password: string) =>
  (await call(api.server.url, '/api/auth/login', { body: { email, password } })).status

/** The session's public id, as the server derives it (server/utils/sessions.ts). */
const publicIdOfToken = (token: string) => createHash('sha256').update(`public:${sha256Hex(token)}`).digest('hex').slice(0, 32)

/** Asks for a reset of this account and returns the token of its `nth` mail. */
async function mailedToken(email: string, nth = 1) {
  const response = await requestReset(email)
  expect(response.status).toBe(202)
  const mails = await smtp.mailsTo(email, nth)
  return resetLink(mails[nth - 1]!).token
}

/** The server's event lines of this type since it started. */
function eventLines(type: string) {
  return api.server.logs().split('\n').filter(line => line.startsWith('{')).map(line => JSON.parse(line) as Record<string, string>).filter(e => e.event === type)
}

/**
 * The user's event lines of this type, once there is one (the server logs just after it answers)
 * and once a later request's line is out too: lines are written in order, so a second line of
 * this event, written a turn or more after the first, is in by then and is counted.
 */
async function userEventLines(type: string, userId: string) {
  const lines = () => eventLines(type).filter(e => e.userId === userId)
  await expect.poll(() => lines().length).toBeGreaterThan(0)
  const { user: later } = await signUpUser(api.server.url)
  await expect.poll(() => eventLines('signup').some(e => e.userId === later.id)).toBe(true)
  return lines()
}

/** A POST with exactly these headers, Host included (fetch will not send a forged Host). */
function postWithHeaders(path: string, body: unknown, headers: Record<string, string>): Promise<number> {
  const target = new URL(path, api.server.url)
  const payload = JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = request(target, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } }, (res) => {
      res.resume()
      res.once('end', () => resolve(res.statusCode!))
    })
    req.once('error', reject)
    req.end(payload)
  })
}

describe.skipIf(skip)(onBackend('POST /api/auth/password-reset', skip), () => {
  it('mails a known email a link under NUXT_AUTH_ORIGIN with a fresh token, and answers 202 at once', async () => {
    const { user } = await signUpUser(api.server.url)
    const response = await requestReset(`  ${user.email.toUpperCase()} `)
    expect(response.status).toBe(202)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.json()).toEqual(ACCEPTED)

    const [mail] = await smtp.mailsTo(user.email)
    expect(mail!.from).toBe(FROM)
    expect(mail!.subject).toBe('Reset your password')
    const { link, token } = resetLink(mail!)
    expect(link.origin).toBe(ORIGIN)
    expect(link.pathname).toBe('/reset-password')
    expect(token).toMatch(/^[a-z2-7]{32}$/)

    const rows = await api.backend.passwordResetsOf(user.id)
    expect(rows.map(r => r.id)).toEqual([sha256Hex(token)])
    const minutesLeft = (rows[0]!.expiresAt.getTime() - Date.now()) / 60_000
    expect(minutesLeft).toBeGreaterThan(28)
    expect(minutesLeft).toBeLessThanOrEqual(30)
    expect(await userEventLines('password-reset-requested', user.id)).toHaveLength(1)
  })

  it('does not wait for the mail to be handed over', async () => {
    const { user } = await signUpUser(api.server.url)
    const held = smtp.holdNext()
    try {
      const response = await requestReset(user.email)
      // The SMTP server has not accepted the message yet, and the answer is already here.
      expect(response.status).toBe(202)
      await held.arrived
      expect(smtp.mails.some(m => m.to.includes(user.email))).toBe(false)
    }
    finally {
      held.release()
    }
    await smtp.mailsTo(user.email)
  })

  it('gives an unknown email the same answer and no mail', async () => {
    const unknown = uniqueEmail()
    const response = await requestReset(unknown)
    expect(response.status).toBe(202)
    expect(await response.json()).toEqual(ACCEPTED)
    // Mails go out in the order asked for: once a later one has arrived, none to `unknown` is coming.
    const { user } = await signUpUser(api.server.url)
    await mailedToken(user.email)
    expect(smtp.mails.filter(m => m.to.includes(unknown))).toEqual([])
    expect(api.server.logs()).not.toContain(unknown)
    // Only known emails make an event, each with its user.
    await userEventLines('password-reset-requested', user.id)
    expect(eventLines('password-reset-requested').every(e => e.userId)).toBe(true)
  })

  it('builds the link from NUXT_AUTH_ORIGIN, never from a forged Host or X-Forwarded-Host', async () => {
    const { user } = await signUpUser(api.server.url)
    const forged = { 'host': 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http', 'connection': 'close' }
    expect(await postWithHeaders('/api/auth/password-reset', { email: user.email }, forged)).toBe(202)
    const [mail] = await smtp.mailsTo(user.email)
    expect(resetLink(mail!).link.origin).toBe(ORIGIN)
    expect(mail!.text).not.toContain('evil.example')
    // Logged after the answer, on a connection the client closed at once: the address is still known.
    expect((await userEventLines('password-reset-requested', user.id))[0]?.ipAddress).toBe('127.0.0.1')
  })

  it('replaces the user\'s earlier tokens with the newest', async () => {
    const { user } = await signUpUser(api.server.url)
    const first = await mailedToken(user.email, 1)
    const second = await mailedToken(user.email, 2)
    expect(second).not.toBe(first)
    expect((await api.backend.passwordResetsOf(user.id)).map(r => r.id)).toEqual([sha256Hex(second)])

    const old = await expectJsonError(await confirm({ token: first, newPassword: NEW_PASSWORD }), 400)
    expect(old.data).toEqual({ reason: 'invalid-token' })
    expect((await confirm({ token: second, newPassword: NEW_PASSWORD })).status).toBe(200)
  })

  it('logs a failed delivery and answers the same', async () => {
    const { user } = await signUpUser(api.server.url)
    smtp.refuse(true)
    try {
      const response = await requestReset(user.email)
      expect(response.status).toBe(202)
      expect(await response.json()).toEqual(ACCEPTED)
      const logs = await api.server.waitForLog('[mail] delivery of "Reset your password" failed')
      expect(logs).toMatch(/failed: EMESSAGE: .*550 Mailbox unavailable/)
      expect(logs).not.toContain('token=')
    }
    finally {
      smtp.refuse(false)
    }
    // The token was made all the same: asking again works.
    await mailedToken(user.email)
  })

  it('answers 400 for a bad body and 405 for another method', async () => {
    for (const body of [{}, { email: 'not an email' }, { email: 42 }, []]) {
      const error = await expectJsonError(await call(api.server.url, '/api/auth/password-reset', { body }), 400)
      expect(error.message).toMatch(/email|body/)
    }
    await expectJsonError(await call(api.server.url, '/api/auth/password-reset', { body: 'email=a@b.example', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400)
    for (const path of ['/api/auth/password-reset', '/api/auth/password-reset/confirm']) {
      const response = await call(api.server.url, path, { headers: { accept: 'text/html' } })
      await expectJsonError(response, 405)
      expect(response.headers.get('allow')).toBe('POST')
    }
  })
})

describe.skipIf(skip)(onBackend('POST /api/auth/password-reset/confirm', skip), () => {
  it('replaces the password, uses the token up, ends every session with reason password-reset and starts a new one', async () => {
    const signup = await signUpUser(api.server.url)
    const { email } = signup.user
    const other = sessionSetCookie(await call(api.server.url, '/api/auth/login', { body: { email, password: PASSWORD } }))!.value
    const token = await mailedToken(email)

    const response = await confirm({ token, newPassword: NEW_PASSWORD })
    expect(response.status).toBe(200)
    expect(response.headers.get('clear-site-data')).toBeNull()
    expect(await response.json()).toEqual({ user: signup.user })
    const cookie = sessionSetCookie(response)!
    expect(cookie.value).toMatch(/^[a-z2-7]{40}$/)
    expect(cookie.attributes).toMatchObject({ httponly: '', samesite: 'Lax', path: '/', secure: '' })

    const me = await call(api.server.url, '/api/auth/me', { cookie: `auth_session=${cookie.value}` })
    expect(me.status).toBe(200)
    for (const old of [signup.token, other]) {
      const ended = await expectJsonError(await call(api.server.url, '/api/auth/me', { cookie: `auth_session=${old}` }), 401)
      expect(ended.data).toEqual({ reason: 'password-reset' })
      expect(await api.backend.sessionById(sha256Hex(old))).toBeUndefined()
      expect(await api.backend.sessionEndReason(publicIdOfToken(old))).toBe('password-reset')
    }
    expect(await api.backend.passwordResetsOf(signup.user.id)).toEqual([])

    expect(await logInStatus(email, PASSWORD)).toBe(401)
    expect(await logInStatus(email, NEW_PASSWORD)).toBe(200)
    const [event] = await userEventLines('password-reset', signup.user.id)
    expect(event?.sessionId).toBe(publicIdOfToken(cookie.value))

    const reused = await expectJsonError(await confirm({ token, newPassword: 'yet another password' }), 400)
    expect(reused.data).toEqual({ reason: 'invalid-token' })
    expect(await logInStatus(email, NEW_PASSWORD)).toBe(200)
  })

  it('lets exactly one of concurrent confirmations with one token through', async () => {
    const { user } = await signUpUser(api.server.url)
    const token = await mailedToken(user.email)
    const passwords = [1, 2, 3, 4, 5].map(i => `${NEW_PASSWORD} ${i}`)
    const statuses = await Promise.all(passwords.map(async newPassword => (await confirm({ token, newPassword })).status))
    expect([...statuses].sort()).toEqual([200, 400, 400, 400, 400])
    // The password is the winner's, and no loser's.
    for (const [i, password] of passwords.entries()) expect(await logInStatus(user.email, password)).toBe(statuses[i] === 200 ? 200 : 401)
  })

  it('ends the session this browser had, whoever it belonged to, as log-in does', async () => {
    const { user } = await signUpUser(api.server.url)
    const bystander = await signUpUser(api.server.url)
    const token = await mailedToken(user.email)
    const response = await confirm({ token, newPassword: NEW_PASSWORD }, bystander.cookie)
    expect(response.status).toBe(200)
    expect(await api.backend.sessionById(sha256Hex(bystander.token))).toBeUndefined()
    // Replaced by this browser's new cookie, not ended by the reset: no reason recorded.
    expect(await api.backend.sessionEndReason(publicIdOfToken(bystander.token))).toBeUndefined()
  })

  it('refuses an expired token and changes nothing', async () => {
    const { user, cookie } = await signUpUser(api.server.url)
    const token = await mailedToken(user.email)
    await api.backend.setPasswordResetExpiry(sha256Hex(token), new Date(Date.now() - 1_000))

    const error = await expectJsonError(await confirm({ token, newPassword: NEW_PASSWORD }), 400)
    expect(error.data).toEqual({ reason: 'invalid-token' })
    expect(await logInStatus(user.email, PASSWORD)).toBe(200)
    expect((await call(api.server.url, '/api/auth/me', { cookie })).status).toBe(200)
  })

  it('refuses unknown and malformed tokens with invalid-token', async () => {
    for (const token of ['', 'x', 'a'.repeat(32), sha256Hex('anything')]) {
      const error = await expectJsonError(await confirm({ token, newPassword: NEW_PASSWORD }), 400)
      expect(error.data).toEqual({ reason: 'invalid-token' })
    }
  })

  it('answers 400 naming newPassword for an invalid one, and the token stays usable', async () => {
    const { user } = await signUpUser(api.server.url)
    const token = await mailedToken(user.email)
    for (const newPassword of ['short', 'x'.repeat(257), undefined]) {
      const error = await expectJsonError(await confirm({ token, newPassword }), 400)
      expect(error.message).toMatch(/newPassword/)
      expect((error.data as { fields: Record<string, string> }).fields).toHaveProperty('newPassword')
    }
    await expectJsonError(await confirm({ newPassword: NEW_PASSWORD }), 400)
    expect((await confirm({ token, newPassword: NEW_PASSWORD })).status).toBe(200)
  })

  it('answers 500 when the store fails mid-reset, and the transaction leaves the token usable', async () => {
    const { user, cookie } = await signUpUser(api.server.url)
    const token = await mailedToken(user.email)
    const release = await api.backend.holdWriteLock()
    let response: Response
    try {
      response = await confirm({ token, newPassword: NEW_PASSWORD })
    }
    finally {
      await release()
    }
    const body = await expectJsonError(response, 500)
    expect(response.headers.getSetCookie()).toEqual([])
    expect(await api.server.waitForLog(String(body.requestId))).toMatch(api.backend.lockTimeoutLog)
    // Nothing of it happened: old password and session still work, and the token does too.
    expect((await call(api.server.url, '/api/auth/me', { cookie })).status).toBe(200)
    expect(await logInStatus(user.email, PASSWORD)).toBe(200)
    expect((await confirm({ token, newPassword: NEW_PASSWORD })).status).toBe(200)
  })

  it('never stores a token as such', async () => {
    const { user } = await signUpUser(api.server.url)
    const token = await mailedToken(user.email)
    const dump = await api.backend.dump()
    expect(dump).toContain(sha256Hex(token))
    expect(dump).not.toContain(token)
  })

  it('leaves expired tokens to npm run db:cleanup, which keeps live ones', async () => {
    const expired = await signUpUser(api.server.url)
    const live = await signUpUser(api.server.url)
    const expiredToken = await mailedToken(expired.user.email)
    const liveToken = await mailedToken(live.user.email)
    await api.backend.setPasswordResetExpiry(sha256Hex(expiredToken), new Date(Date.now() - 1_000))

    const run = spawnSync('npm', ['run', '--silent', 'db:cleanup'], {
      env: { ...process.env, DATABASE_URL: api.backend.databaseUrl },
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(run.status, run.stderr).toBe(0)
    const report = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { passwordResets: { deleted: number } }
    expect(report.passwordResets.deleted).toBeGreaterThanOrEqual(1)
    expect(await api.backend.passwordResetsOf(expired.user.id)).toEqual([])
    expect((await api.backend.passwordResetsOf(live.user.id)).map(r => r.id)).toEqual([sha256Hex(liveToken)])
  }, 60_000)
})

describe.skipIf(skip)(onBackend('password reset in production without mail', skip), () => {
  it.each([
    ['without NUXT_MAIL_SMTP_URL', { NUXT_AUTH_ORIGIN: ORIGIN }],
    ['with SMTP but no NUXT_AUTH_ORIGIN', { NUXT_MAIL_SMTP_URL: smtp.url }],
  ])('answers 503 to both endpoints, whatever the request, %s', async (_, env) => {
    const server = await startServer({ DATABASE_URL: api.backend.databaseUrl, ...env })
    try {
      const { user } = await signUpUser(server.url)
      const requests: [string, unknown][] = [
        ['/api/auth/password-reset', { email: user.email }],
        ['/api/auth/password-reset', { email: uniqueEmail() }],
        ['/api/auth/password-reset', {}],
        ['/api/auth/password-reset/confirm', { token: 'a'.repeat(32), newPassword: NEW_PASSWORD }],
        ['/api/auth/password-reset/confirm', 'not json'],
      ]
      for (const [path, body] of requests) await expectJsonError(await call(server.url, path, { body }), 503)
      expect(await api.backend.passwordResetsOf(user.id)).toEqual([])
      expect(smtp.mails.filter(m => m.to.includes(user.email))).toEqual([])
    }
    finally {
      await server.stop()
    }
  })
})
