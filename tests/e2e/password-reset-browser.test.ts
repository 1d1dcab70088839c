import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { createPage, setup, url } from '@nuxt/test-utils/e2e'
import type { Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { call, signUpUser } from '../support/client'
import { startServer } from '../support/server'
import { resetLink, startSmtpServer } from '../support/smtp'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium && process.env.CI) throw new Error(`CI needs Chromium at ${CHROMIUM} (.ci/run installs it)`)

/** A port free right now, so that the server's NUXT_AUTH_ORIGIN can name its own address. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

// The production build mailing through a real SMTP server; its links point back at itself.
const smtp = await startSmtpServer()
const port = await freePort()
const server = haveChromium
  ? await startServer({ PORT: String(port), NUXT_AUTH_ORIGIN: `http://127.0.0.1:${port}`, NUXT_MAIL_SMTP_URL: smtp.url })
  : undefined
afterAll(async () => {
  await server?.stop()
  await smtp.close()
})

if (server) {
  await setup({
    host: server.url,
    fixture: '',
    browser: true,
    browserOptions: {
      type: 'chromium',
      launch: {
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
          '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      },
    },
  })
}

/** Waits until Vue has mounted (the production build exposes no hydration flag to test-utils). */
async function hydrated(page: Page) {
  await page.waitForFunction(() => Boolean((document.getElementById('__nuxt') as { __vue_app__?: unknown } | null)?.__vue_app__))
}

/** Opens a page in a browser context of its own (no cookies). */
async function open(target: string): Promise<Page> {
  const page = await createPage()
  await page.goto(target)
  await hydrated(page)
  return page
}

describe.skipIf(!haveChromium)('password reset in Chromium', () => {
  it('forgot password → mail → link → new password → signed in on the home page; the used link then says so', async () => {
    const { user } = await signUpUser(server!.url)
    const newPassword = 'a brand new password'

    const page = await open(url('/login'))
    let link: URL
    try {
      await page.getByRole('link', { name: 'Forgot your password?' }).click()
      await page.waitForURL(u => u.pathname === '/forgot-password')
      await page.getByLabel('Email').fill(user.email)
      await page.getByRole('button', { name: 'Send reset link' }).click()
      await expect.poll(() => page.getByRole('status').innerText()).toMatch(/if an account has this email/i)

      const [mail] = await smtp.mailsTo(user.email)
      link = resetLink(mail!).link
      expect(link.origin).toBe(new URL(server!.url).origin)

      await page.goto(link.href)
      await hydrated(page)
      await page.getByLabel('New password', { exact: true }).fill(newPassword)
      await page.getByRole('button', { name: 'Set new password' }).click()
      await page.waitForURL(u => u.pathname === '/')
      await expect.poll(() => page.locator('main').innerText()).toContain(`Signed in as ${user.email}`)
    }
    finally {
      await page.close()
    }
    expect((await call(server!.url, '/api/auth/login', { body: { email: user.email, password: newPassword } })).status).toBe(200)

    // The same link again, in another browser: used up, and a way to ask for a new one.
    const again = await open(link.href)
    try {
      await again.getByLabel('New password', { exact: true }).fill('yet another password')
      await again.getByRole('button', { name: 'Set new password' }).click()
      await expect.poll(() => again.getByRole('alert').innerText()).toMatch(/expired or was already used/i)
      await again.getByRole('link', { name: 'Ask for a new link' }).click()
      await again.waitForURL(u => u.pathname === '/forgot-password')
    }
    finally {
      await again.close()
    }
  })
})
