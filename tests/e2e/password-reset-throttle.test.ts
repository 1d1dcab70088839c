import { afterAll, describe, expect, it } from 'vitest'
import { callFrom, newLoopbackAddress, PASSWORD, signUpUser, uniqueEmail } from '../support/client'
import { expectJsonError } from '../support/expect'
import { onBackend, serveBackend } from '../support/server'
import { resetLink, startSmtpServer } from '../support/smtp'

// The reset endpoints' own counters (contract, "Password reset by email"): every reset request
// counts, 5 per email and 20 per address in 900 s; failed confirmations, 10 per address. Each
// test sends from loopback addresses of its own, so that no two share a counter.
const smtp = await startSmtpServer()
afterAll(() => smtp.close())

const api = await serveBackend({ NUXT_MAIL_SMTP_URL: smtp.url, NUXT_MAIL_FROM: 'reset@app.example', NUXT_AUTH_ORIGIN: 'https://app.example' })
const { skip } = api

const requestReset = (from: string, email: string) => callFrom(from, api.server.url, '/api/auth/password-reset', { body: { email } })
const confirm = (from: string, token: string) => callFrom(from, api.server.url, '/api/auth/password-reset/confirm', { body: { token, newPassword: 'a brand new password' } })
const logIn = (from: string, email: string, password = PASSWORD) => callFrom(from, api.server.url, '/api/auth/login', { body: { email, password } })

/** A 429 JSON error whose Retry-After is a whole number of seconds within the 900 s window. */
async function expectThrottled(response: Response) {
  await expectJsonError(response, 429)
  const retryAfter = Number(response.headers.get('retry-after'))
  expect(Number.isInteger(retryAfter)).toBe(true)
  expect(retryAfter).toBeGreaterThan(900 - 60)
  expect(retryAfter).toBeLessThanOrEqual(900)
}

describe.skipIf(skip)(onBackend('password-reset throttling', skip), () => {
  it('answers the 6th request for one email with 429, whatever the address, and leaves log-in alone', async () => {
    const { user } = await signUpUser(api.server.url)
    for (let i = 0; i < 5; i++) expect((await requestReset(newLoopbackAddress(), user.email)).status).toBe(202)
    await expectThrottled(await requestReset(newLoopbackAddress(), user.email))
    // Another email is not held back, and log-in's counters are not reset's.
    expect((await requestReset(newLoopbackAddress(), uniqueEmail())).status).toBe(202)
    expect((await logIn(newLoopbackAddress(), user.email)).status).toBe(200)
    // The five accepted requests were mailed, the refused one not: by the time a later request's
    // mail is in, the refused one's would be too.
    expect(await smtp.mailsTo(user.email, 5)).toHaveLength(5)
    const later = await signUpUser(api.server.url)
    expect((await requestReset(newLoopbackAddress(), later.user.email)).status).toBe(202)
    await smtp.mailsTo(later.user.email)
    expect(smtp.mails.filter(mail => mail.to.includes(user.email))).toHaveLength(5)
  })

  it('counts an unknown email like a known one', async () => {
    const email = uniqueEmail()
    for (let i = 0; i < 5; i++) expect((await requestReset(newLoopbackAddress(), email)).status).toBe(202)
    await expectThrottled(await requestReset(newLoopbackAddress(), email))
  })

  it('answers the 21st request from one address with 429, whatever the email, and leaves log-in from it alone', async () => {
    const address = newLoopbackAddress()
    for (let i = 0; i < 20; i++) expect((await requestReset(address, uniqueEmail())).status).toBe(202)
    await expectThrottled(await requestReset(address, uniqueEmail()))
    expect((await requestReset(newLoopbackAddress(), uniqueEmail())).status).toBe(202)
    const { user } = await signUpUser(api.server.url)
    expect((await logIn(address, user.email)).status).toBe(200)
  })

  it('counts failed confirmations per address, 10 in the window, and not a successful one', async () => {
    const address = newLoopbackAddress()
    const unknownToken = () => 'a'.repeat(32)
    for (let i = 0; i < 9; i++) {
      const body = await expectJsonError(await confirm(address, unknownToken()), 400)
      expect(body.data).toEqual({ reason: 'invalid-token' })
    }
    // A live token in between: it works, and is not counted as a failure.
    const { user } = await signUpUser(api.server.url)
    expect((await requestReset(newLoopbackAddress(), user.email)).status).toBe(202)
    const [mail] = await smtp.mailsTo(user.email)
    expect((await confirm(address, resetLink(mail!).token)).status).toBe(200)
    // The 10th failure is still answered; the 11th attempt, even with a live token, is not.
    expect((await confirm(address, unknownToken())).status).toBe(400)
    const other = await signUpUser(api.server.url)
    expect((await requestReset(newLoopbackAddress(), other.user.email)).status).toBe(202)
    const [otherMail] = await smtp.mailsTo(other.user.email)
    await expectThrottled(await confirm(address, resetLink(otherMail!).token))
    // Another address may still use that token.
    expect((await confirm(newLoopbackAddress(), resetLink(otherMail!).token)).status).toBe(200)
  })
})
