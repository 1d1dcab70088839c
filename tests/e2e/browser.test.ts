import { existsSync } from 'node:fs'
import { createPage, setup, url } from '@nuxt/test-utils/e2e'
import type { Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { PASSWORD, uniqueEmail } from '../support/client'
import { startServer } from '../support/server'
import { openDatabase, sha256Hex } from '../support/sqlite'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium && process.env.CI) throw new Error(`CI needs Chromium at ${CHROMIUM} (.ci/run installs it)`)

// The production build on its own SQLite file; @nuxt/test-utils drives Debian's Chromium at it.
const server = haveChromium ? await startServer() : undefined
afterAll(() => server?.stop())

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
async function open(path: string): Promise<Page> {
  const page = await createPage()
  await page.goto(url(path))
  await page.waitForFunction(() => Boolean((document.getElementById('__nuxt') as { __vue_app__?: unknown } | null)?.__vue_app__))
  return page
}

async function sessionToken(page: Page) {
  return (await page.context().cookies()).find(c => c.name === 'auth_session')
}

describe.skipIf(!haveChromium)('in Chromium', () => {
  it('signs up, shows the home page, logs out to /login with the cookie and the session row gone', async () => {
    const db = openDatabase(server!.dbPath)
    const email = uniqueEmail()
    const page = await open('/')
    try {
      expect(new URL(page.url()).pathname).toBe('/login')

      await page.getByRole('link', { name: /create an account/i }).click()
      await page.waitForURL(/\/signup$/)
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign up' }).click()
      await page.waitForURL(u => u.pathname === '/')
      await expect.poll(() => page.locator('main').innerText()).toContain(`Signed in as ${email}`)

      const cookie = await sessionToken(page)
      expect(cookie?.httpOnly).toBe(true)
      expect(cookie?.sameSite).toBe('Lax')
      expect(db.prepare('select count(*) as n from session where id = ?').get(sha256Hex(cookie!.value))).toEqual({ n: 1 })

      await page.getByRole('button', { name: 'Log out' }).click()
      await page.waitForURL(u => u.pathname === '/login')
      expect(await sessionToken(page)).toBeUndefined()
      expect(db.prepare('select count(*) as n from session where id = ?').get(sha256Hex(cookie!.value))).toEqual({ n: 0 })

      // Signed out for real: the home page sends the visitor back to /login.
      await page.goto(url('/'))
      expect(new URL(page.url()).pathname).toBe('/login')
    }
    finally {
      await page.close()
      db.close()
    }
  })

  it('logs in, and on a failed logout stays signed in with an error until a retry succeeds', async () => {
    const db = openDatabase(server!.dbPath)
    const email = uniqueEmail()
    const signup = await fetch(new URL('/api/auth/signup', server!.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    })
    expect(signup.status).toBe(201)

    const page = await open('/login')
    try {
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Password').fill('wrong password')
      await page.getByRole('button', { name: 'Log in' }).click()
      await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/invalid email or password/i)
      expect(new URL(page.url()).pathname).toBe('/login')

      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Log in' }).click()
      await page.waitForURL(u => u.pathname === '/')
      await expect.poll(() => page.locator('main').innerText()).toContain(`Signed in as ${email}`)

      // The store fails: another writer holds the lock past the server's busy timeout.
      db.exec('begin immediate')
      const logout = page.getByRole('button', { name: 'Log out' })
      await logout.click()
      await expect.poll(() => page.getByRole('alert').innerText(), { timeout: 15_000 }).toMatch(/could not log out/i)
      db.exec('rollback')
      expect(new URL(page.url()).pathname).toBe('/')
      expect(await sessionToken(page)).toBeDefined()

      await logout.press('Enter')
      await page.waitForURL(u => u.pathname === '/login')
      expect(await sessionToken(page)).toBeUndefined()
    }
    finally {
      if (db.inTransaction) db.exec('rollback')
      await page.close()
      db.close()
    }
  }, 40_000)

  it('redirects a signed-out visitor to /login during SSR, without JavaScript', async () => {
    const page = await createPage(undefined, { javaScriptEnabled: false })
    try {
      await page.goto(url('/'))
      expect(new URL(page.url()).pathname).toBe('/login')
      expect(await page.getByLabel('Email').count()).toBe(1)
    }
    finally {
      await page.close()
    }
  })
})
