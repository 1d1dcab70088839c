import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import axe from 'axe-core'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, PASSWORD, uniqueEmail } from '../support/client'
import { startServer, type TestServer } from '../support/server'
import { openDatabase } from '../support/sqlite'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium && process.env.CI) throw new Error(`CI needs Chromium at ${CHROMIUM} (.ci/run installs it)`)

const SCREENSHOTS = join('test-results', 'screenshots')

// Two "devices": each browser context sends its own User-Agent, so the session list can name them.
const DESKTOP = {
  userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  name: 'Chrome 126 on macOS',
  viewport: { width: 1280, height: 800 },
}
const PHONE = {
  userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  name: 'Safari 17 on iOS 17.5',
  viewport: { width: 375, height: 812 },
}
type Device = typeof DESKTOP

let server: TestServer | undefined
let browser: Browser | undefined
const contexts: BrowserContext[] = []

beforeAll(async () => {
  if (!haveChromium) return
  mkdirSync(SCREENSHOTS, { recursive: true })
  server = await startServer()
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

/**
 * A browser context of its own: a separate device, with its own cookies. Only the contexts that
 * inject axe (an inline script) bypass the app's Content-Security-Policy; the others run the app
 * under it, as a visitor's browser does.
 */
async function newDevice(device: Device = DESKTOP, { bypassCSP = false } = {}): Promise<BrowserContext> {
  const context = await browser!.newContext({ userAgent: device.userAgent, viewport: device.viewport, bypassCSP })
  contexts.push(context)
  return context
}
afterAll(async () => {
  await Promise.all(contexts.map(c => c.close().catch(() => {})))
})

const pathOf = (page: Page) => new URL(page.url()).pathname

/** Opens a path and waits until Vue has mounted (the production build exposes no hydration flag). */
async function open(page: Page, path: string): Promise<Page> {
  const failed: string[] = []
  const onResponse = (r: { status: () => number, url: () => string }) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`)
  }
  page.on('response', onResponse)
  try {
    await page.goto(new URL(path, server!.url).href)
    await page.waitForFunction(() => Boolean((document.getElementById('__nuxt') as { __vue_app__?: unknown } | null)?.__vue_app__), undefined, { timeout: 15_000 })
  }
  catch (error) {
    // Usually a script that did not load: say which (e.g. .output rebuilt under the running server).
    throw new Error(`the app did not mount on ${path}; failed requests: ${failed.join(', ') || 'none'}`, { cause: error })
  }
  finally {
    page.off('response', onResponse)
  }
  return page
}

async function signUp(context: BrowserContext, email = uniqueEmail()) {
  const page = await open(await context.newPage(), '/signup')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign up' }).click()
  await page.waitForURL(u => u.pathname === '/')
  return { page, email }
}

async function logIn(context: BrowserContext, email: string) {
  const page = await open(await context.newPage(), '/login')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.waitForURL(u => u.pathname === '/')
  return page
}

const sessionItems = (page: Page) => page.locator('.session-list > li')

/** The list as the user reads it: each entry's name and whether it is marked "This device". */
async function readSessionList(page: Page) {
  return sessionItems(page).evaluateAll(items => items.map(item => ({
    name: item.querySelector('.session-name > span')?.textContent?.trim(),
    thisDevice: item.querySelector('.badge')?.textContent?.trim() === 'This device',
    times: [...item.querySelectorAll('.session-meta time')].map(t => t.getAttribute('datetime')),
    logOutButton: Boolean(item.querySelector('button')),
  })))
}

/** The activity list as the user reads it: each entry's words (all but the time), its time, and the "This device" mark. */
async function readActivity(page: Page) {
  return page.locator('.activity-list > li').evaluateAll(items => items.map(item => ({
    line: [...item.childNodes].filter(n => n.nodeName !== 'TIME' && !(n as Element).classList?.contains('badge')).map(n => n.textContent).join(''),
    when: item.querySelector('time')?.textContent?.trim(),
    datetime: item.querySelector('time')?.getAttribute('datetime'),
    thisDevice: item.querySelector('.badge')?.textContent?.trim() === 'This device',
  })))
}

async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })
}

/**
 * axe-core's violations on the page (or the part `selector` names) as it is now, of every impact
 * (minor and moderate ones too: a heading turned into a paragraph is only "moderate"), as
 * readable lines.
 */
async function axeViolations(page: Page, selector?: string): Promise<string[]> {
  await page.addScriptTag({ content: axe.source })
  const violations = await page.evaluate(async (selector) => {
    const results = await (window as unknown as { axe: typeof axe }).axe.run(selector ?? document, { resultTypes: ['violations'] })
    return results.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(' ')) }))
  }, selector)
  return violations.map(v => `${v.impact}: ${v.id} (${v.help}) at ${v.targets.join(', ')}`)
}

describe.skipIf(!haveChromium)('sessions in Chromium', () => {
  it('two tabs: logging out in one takes the other to /login within a second', async () => {
    const context = await newDevice()
    const { page: first } = await signUp(context)
    const second = await open(await context.newPage(), '/account')
    expect(pathOf(second)).toBe('/account')
    await expect.poll(() => sessionItems(second).count()).toBe(1)

    await first.bringToFront()
    const logout = first.waitForResponse(r => new URL(r.url()).pathname === '/api/auth/logout')
    await first.getByRole('button', { name: 'Log out' }).click()
    expect((await logout).status()).toBe(200)
    const started = Date.now()
    await second.waitForURL(u => u.pathname === '/login', { timeout: 1_000 })
    expect(Date.now() - started).toBeLessThan(1_000)
    await first.waitForURL(u => u.pathname === '/login')

    // The other tab is really signed out: its form is there, and its pages send it to /login.
    await expect.poll(() => second.getByLabel('Email').count()).toBe(1)
    await open(second, '/account')
    expect(pathOf(second)).toBe('/login')
  })

  it('two tabs: "Log out everywhere" in one takes the other to /login too', async () => {
    const context = await newDevice()
    const { page: first } = await signUp(context)
    const second = await open(await context.newPage(), '/')
    await open(first, '/account')

    await first.getByRole('button', { name: 'Log out everywhere' }).click()
    const request = first.waitForResponse(r => new URL(r.url()).pathname === '/api/auth/logout-all')
    await first.getByRole('button', { name: 'Confirm' }).click()
    expect(await (await request).json()).toEqual({ ended: 1 })
    await second.waitForURL(u => u.pathname === '/login', { timeout: 1_000 })
    await first.waitForURL(u => u.pathname === '/login')
  })

  it('two devices: each lists both sessions with "This device" on its own; "Log out everywhere" in one ends the other', async () => {
    const desktop = await newDevice(DESKTOP)
    const phone = await newDevice(PHONE)
    // A short address (this server's database is fresh) keeps the screenshots readable.
    const { page: desktopPage, email } = await signUp(desktop, 'ada@example.com')
    const phonePage = await logIn(phone, email)

    // Home links to the account view.
    await screenshot(desktopPage, 'home-1280')
    await desktopPage.getByRole('link', { name: 'Your account and devices' }).click()
    await desktopPage.waitForURL(u => u.pathname === '/account')
    await open(phonePage, '/account')

    const fromDesktop = await readSessionList(desktopPage)
    const fromPhone = await readSessionList(phonePage)
    expect(fromDesktop).toHaveLength(2)
    expect(fromPhone).toHaveLength(2)
    // This device first and marked, with no "Log out" of its own; the other one can be ended.
    expect(fromDesktop[0]).toMatchObject({ name: DESKTOP.name, thisDevice: true, logOutButton: false })
    expect(fromDesktop[1]).toMatchObject({ name: PHONE.name, thisDevice: false, logOutButton: true })
    expect(fromPhone[0]).toMatchObject({ name: PHONE.name, thisDevice: true, logOutButton: false })
    expect(fromPhone[1]).toMatchObject({ name: DESKTOP.name, thisDevice: false, logOutButton: true })
    for (const entry of fromDesktop) {
      expect(entry.times).toHaveLength(2)
      for (const time of entry.times) expect(Date.parse(time!)).not.toBeNaN()
    }
    await expect.poll(() => desktopPage.locator('main').innerText()).toContain(`Signed in as ${email}`)

    await screenshot(desktopPage, 'account-1280')
    await screenshot(phonePage, 'account-375')

    // The confirmation step: nothing ends until "Confirm".
    await desktopPage.getByRole('button', { name: 'Log out everywhere' }).click()
    const question = desktopPage.getByRole('group', { name: /are you sure/i })
    await expect.poll(() => question.innerText()).toContain('This logs out all your devices, including this one.')
    await screenshot(desktopPage, 'account-confirm-1280')
    await desktopPage.getByRole('button', { name: 'Cancel' }).click()
    expect(await question.count()).toBe(0)
    expect(await sessionItems(desktopPage).count()).toBe(2)

    await desktopPage.getByRole('button', { name: 'Log out everywhere' }).click()
    const request = desktopPage.waitForResponse(r => new URL(r.url()).pathname === '/api/auth/logout-all')
    await desktopPage.getByRole('button', { name: 'Confirm' }).click()
    expect(await (await request).json()).toEqual({ ended: 2 })
    await desktopPage.waitForURL(u => u.pathname === '/login')
    expect((await desktop.cookies()).find(c => c.name === 'auth_session')).toBeUndefined()

    // The phone learns it, and why, when it comes back into view.
    await phonePage.evaluate(() => window.dispatchEvent(new Event('focus')))
    await phonePage.waitForURL(u => u.pathname === '/login' && u.searchParams.get('ended') === 'logged-out-everywhere')
    await expect.poll(() => phonePage.getByRole('status').innerText()).toBe('You were signed out because you logged out everywhere.')
    await screenshot(phonePage, 'login-ended-375')
  })

  it('ends another device from the list; that device learns it at its next API call', async () => {
    const desktop = await newDevice(DESKTOP)
    const phone = await newDevice(PHONE)
    const { page: desktopPage, email } = await signUp(desktop)
    const phonePage = await logIn(phone, email)
    await open(desktopPage, '/account')
    await open(phonePage, '/account')

    const phoneEntry = sessionItems(desktopPage).filter({ hasText: PHONE.name })
    const ended = desktopPage.waitForResponse(r => r.request().method() === 'DELETE')
    await phoneEntry.getByRole('button', { name: /^Log out Safari 17 on iOS 17\.5/ }).click()
    expect((await ended).status()).toBe(200)
    await expect.poll(() => sessionItems(desktopPage).count()).toBe(1)
    await expect.poll(() => desktopPage.locator('.sessions [role="status"]').innerText()).toBe(`Logged out ${PHONE.name}.`)
    // Focus is not lost with the removed button.
    expect(await desktopPage.evaluate(() => document.activeElement?.id)).toBe('sessions-title')
    expect(pathOf(desktopPage)).toBe('/account')

    // The phone still shows its stale list; its next request is a 401 that sends it to /login.
    const rejected = phonePage.waitForResponse(r => r.request().method() === 'DELETE')
    await phonePage.getByRole('button', { name: /^Log out Chrome 126 on macOS/ }).click()
    expect((await rejected).status()).toBe(401)
    await phonePage.waitForURL(u => u.pathname === '/login' && u.searchParams.get('ended') === 'revoked')
    await expect.poll(() => phonePage.getByRole('status').innerText()).toBe('You were signed out because this session was ended from another device.')
    // The desktop was not touched.
    await open(desktopPage, '/account')
    expect(pathOf(desktopPage)).toBe('/account')
  })

  it('shows recent security activity in words, newest first, with this device\'s entries marked', async () => {
    const desktop = await newDevice(DESKTOP, { bypassCSP: true })
    const phone = await newDevice(PHONE, { bypassCSP: true })
    const { page: desktopPage, email } = await signUp(desktop)
    // A failed attempt from the phone, then a good one.
    const phoneLogin = await open(await phone.newPage(), '/login')
    await phoneLogin.getByLabel('Email').fill(email)
    await phoneLogin.getByLabel('Password').fill('not the password')
    const failed = phoneLogin.waitForResponse(r => new URL(r.url()).pathname === '/api/auth/login')
    await phoneLogin.getByRole('button', { name: 'Log in' }).click()
    expect((await failed).status()).toBe(401)
    await phoneLogin.close()
    const phonePage = await logIn(phone, email)
    await open(desktopPage, '/account')
    await open(phonePage, '/account')

    const when = /^(just now|1 minute ago)$/
    const fromDesktop = await readActivity(desktopPage)
    expect(fromDesktop.map(e => e.line)).toEqual([
      `Signed in · ${PHONE.name} · 127.0.0.1 · `,
      `Failed sign-in attempt · ${PHONE.name} · 127.0.0.1 · `,
      `Account created · ${DESKTOP.name} · 127.0.0.1 · `,
    ])
    expect(fromDesktop.map(e => e.thisDevice)).toEqual([false, false, true])
    for (const entry of fromDesktop) {
      expect(entry.when).toMatch(when)
      expect(Math.abs(Date.parse(entry.datetime!) - Date.now())).toBeLessThan(60_000)
    }
    expect((await readActivity(phonePage)).map(e => e.thisDevice)).toEqual([true, false, false])
    expect(await phonePage.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.viewport.width)
    await phonePage.locator('.activity').scrollIntoViewIfNeeded()
    await screenshot(phonePage, 'account-activity-375')

    // Ending the phone's session from the desktop shows up at once, as this device's.
    await sessionItems(desktopPage).filter({ hasText: PHONE.name }).getByRole('button', { name: /^Log out / }).click()
    await expect.poll(async () => (await readActivity(desktopPage))[0]).toMatchObject({ line: `Signed out another device · ${DESKTOP.name} · 127.0.0.1 · `, thisDevice: true })

    await desktopPage.locator('.activity').scrollIntoViewIfNeeded()
    await screenshot(desktopPage, 'account-activity-1280')
    // The section alone, as docs/activity.png shows it.
    await desktopPage.locator('.activity').screenshot({ path: join(SCREENSHOTS, 'activity-1280.png') })
    // Every axe rule, not only the serious ones, on the section.
    for (const page of [desktopPage, phonePage]) expect(await axeViolations(page, '.activity')).toEqual([])
  })

  it('a tab that becomes visible again learns that its session was ended elsewhere', async () => {
    const { page: elsewhere, email } = await signUp(await newDevice(DESKTOP))
    const page = await logIn(await newDevice(PHONE), email)
    const ended = await elsewhere.evaluate(async () => (await fetch('/api/auth/logout-all', { method: 'POST' })).json())
    expect(ended).toEqual({ ended: 2 })

    expect(pathOf(page)).toBe('/')
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')))
    await page.waitForURL(u => u.pathname === '/login' && u.searchParams.get('ended') === 'logged-out-everywhere')
    await expect.poll(() => page.getByRole('status').innerText()).toBe('You were signed out because you logged out everywhere.')
  })

  it('saves screenshots of /login and /signup on a phone and on a desktop', async () => {
    for (const device of [PHONE, DESKTOP]) {
      const page = await (await newDevice(device)).newPage()
      for (const path of ['/login', '/signup']) {
        await open(page, path)
        await screenshot(page, `${path.slice(1)}-${device.viewport.width}`)
        // Nothing sticks out sideways on a 375 px screen.
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(device.viewport.width)
      }
    }
  })

  it('has no axe violations of any impact on /login, /signup, the password-reset pages, / and /account', async () => {
    for (const device of [DESKTOP, PHONE]) {
      const context = await newDevice(device, { bypassCSP: true })
      const anonymous = await context.newPage()
      const report: Record<string, string[]> = {}
      // The reset form (a link's token in the fragment) before the incomplete-link message.
      for (const path of ['/login', '/login?ended=1', '/signup', '/forgot-password', `/reset-password#token=${'a'.repeat(32)}`, '/reset-password']) {
        await open(anonymous, path)
        report[path] = await axeViolations(anonymous)
      }
      await anonymous.close()

      const { page } = await signUp(context)
      await logIn(await newDevice(PHONE), (await page.locator('strong').innerText()))
      report['/'] = await axeViolations(page)
      await open(page, '/account')
      report['/account'] = await axeViolations(page)
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(device.viewport.width)
      await page.getByRole('button', { name: 'Log out everywhere' }).click()
      report['/account (confirming)'] = await axeViolations(page)

      expect(report, `on ${device.viewport.width} px`).toEqual({
        '/login': [], '/login?ended=1': [], '/signup': [], '/forgot-password': [], [`/reset-password#token=${'a'.repeat(32)}`]: [], '/reset-password': [],
        '/': [], '/account': [], '/account (confirming)': [],
      })
    }
  }, 60_000)

  it('renders the signed-in pages under the CSP with no console errors (no hydration mismatch), and follows their links without loading a page', async () => {
    const context = await newDevice(PHONE)
    const { page } = await signUp(context)
    const errors: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') errors.push(message.text())
    })
    page.on('pageerror', error => errors.push(error.message))
    for (const path of ['/', '/account']) await open(page, path)
    // The app's links are followed by the router (components/AppLink.ts): no page is loaded again.
    const documentLoads: string[] = []
    page.on('request', (request) => {
      if (request.resourceType() === 'document') documentLoads.push(request.url())
    })
    await page.getByRole('link', { name: 'Auth core' }).click()
    await page.waitForURL(u => u.pathname === '/')
    expect(await page.getByRole('link', { name: 'Auth core' }).getAttribute('aria-current')).toBe('page')
    await page.getByRole('link', { name: 'Your account and devices' }).click()
    await expect.poll(() => sessionItems(page).count()).toBe(1)
    expect(await page.getByRole('link', { name: 'Auth core' }).getAttribute('aria-current')).toBeNull()
    expect(errors).toEqual([])
    expect(documentLoads).toEqual([])
  })

  describe('keyboard', () => {
    /** Presses Tab and describes what got focus. */
    async function tab(page: Page) {
      await page.keyboard.press('Tab')
      return describeFocus(page)
    }

    async function focused(page: Page) {
      const focus = await describeFocus(page)
      return focus && { name: focus.name, focusVisible: focus.focusVisible }
    }

    /** What has focus: its tag, its name, and whether the focus is visible. */
    function describeFocus(page: Page) {
      return page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null
        if (!el || el === document.body) return null
        const style = getComputedStyle(el)
        const labelled = el.getAttribute('aria-labelledby')?.split(' ').map(id => document.getElementById(id)?.textContent ?? '').join(' ')
        const name = (el.getAttribute('aria-label') ?? labelled ?? (el as HTMLInputElement).labels?.[0]?.textContent ?? el.textContent ?? '').replace(/\s+/g, ' ').trim()
        return {
          tag: el.tagName.toLowerCase(),
          name,
          focusVisible: el.matches(':focus-visible') && style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) > 0,
        }
      })
    }

    /** Tabs through the page until focus leaves it, returning every control on the way. */
    async function tabThrough(page: Page) {
      const seen: NonNullable<Awaited<ReturnType<typeof tab>>>[] = []
      for (let i = 0; i < 20; i++) {
        const focused = await tab(page)
        if (!focused || seen.some(s => s.name === focused.name && s.tag === focused.tag)) break
        seen.push(focused)
      }
      return seen
    }

    it('reaches every control on /login and /signup with a visible focus ring and a name', async () => {
      const page = await (await newDevice()).newPage()
      const expected = {
        '/login': ['a: Auth core', 'input: Email', 'input: Password', 'a: Forgot your password?', 'button: Log in', 'a: Create an account'],
        '/signup': ['a: Auth core', 'input: Email', 'input: Password', 'button: Sign up', 'a: Already have an account? Log in'],
      }
      for (const [path, names] of Object.entries(expected)) {
        await open(page, path)
        const controls = await tabThrough(page)
        expect(controls.map(c => `${c.tag}: ${c.name}`)).toEqual(names)
        for (const control of controls) expect(control, control.name).toMatchObject({ focusVisible: true })
      }
    })

    it('works the account view with Tab, Enter and Space alone', async () => {
      const desktop = await newDevice(DESKTOP)
      const { page } = await signUp(desktop)
      await logIn(await newDevice(PHONE), (await page.locator('strong').innerText()))

      // Home: the link to the account view, then Log out; Enter follows the link.
      await open(page, '/')
      const home = await tabThrough(page)
      expect(home.map(c => `${c.tag}: ${c.name}`)).toEqual(['a: Auth core', 'a: Your account and devices', 'button: Log out'])
      for (const control of home) expect(control, control.name).toMatchObject({ focusVisible: true })
      // Past the last control, then back to the link.
      await page.keyboard.press('Shift+Tab')
      await page.keyboard.press('Shift+Tab')
      expect(await focused(page)).toEqual({ name: 'Your account and devices', focusVisible: true })
      await page.keyboard.press('Enter')
      await page.waitForURL(u => u.pathname === '/account')

      // From the top of a fresh load of the account view.
      await open(page, '/account')
      const controls = await tabThrough(page)
      expect(controls.map(c => `${c.tag}: ${c.name.replace(/, signed in .*/, '')}`)).toEqual([
        'a: Auth core',
        `button: Log out ${PHONE.name}`,
        'button: Log out everywhere',
        'input: Current password',
        'input: New password',
        'button: Change password',
        'button: Delete account',
      ])
      for (const control of controls) expect(control, control.name).toMatchObject({ focusVisible: true })

      // Space on "Log out everywhere" asks first; focus goes to Cancel, and Enter there goes back.
      for (let i = 0; i < 5; i++) await page.keyboard.press('Shift+Tab')
      expect(await focused(page)).toEqual({ name: 'Log out everywhere', focusVisible: true })
      await page.keyboard.press('Space')
      await expect.poll(() => page.getByRole('group', { name: /are you sure/i }).count()).toBe(1)
      expect(await focused(page)).toEqual({ name: 'Cancel', focusVisible: true })
      await screenshot(page, 'account-keyboard-1280')
      await page.keyboard.press('Shift+Tab')
      expect(await focused(page)).toEqual({ name: 'Confirm', focusVisible: true })
      await page.keyboard.press('Tab')
      expect(await focused(page)).toEqual({ name: 'Cancel', focusVisible: true })
      await page.keyboard.press('Enter')
      await expect.poll(() => page.getByRole('group', { name: /are you sure/i }).count()).toBe(0)
      expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Log out everywhere')

      // Back to the other session's "Log out", and Enter ends it.
      await page.keyboard.press('Shift+Tab')
      expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toMatch(/^Log out Safari/)
      await page.keyboard.press('Enter')
      await expect.poll(() => sessionItems(page).count()).toBe(1)
    })
  })
})

/**
 * Recent authentication in the browser. The 10-minute window is passed by seeding: the user's
 * sessions get a created_at 11 minutes back, straight in the server's SQLite file (what a
 * shortened NUXT_AUTH_REAUTH_MINUTES plus waiting would do, without the wait).
 */
describe.skipIf(!haveChromium)('recent authentication and account flows in Chromium', () => {
  function makeStale(email: string) {
    const db = openDatabase(server!.dbPath)
    try {
      db.prepare('update session set created_at = created_at - 660 where user_id = (select id from user where email = ?)').run(email)
    }
    finally {
      db.close()
    }
  }

  const prompt = (page: Page) => page.getByRole('group', { name: /confirm it’s you/i })
  const focusedLabel = (page: Page) => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.labels?.[0]?.textContent?.trim() ?? document.activeElement?.textContent?.trim())
  const notice = (page: Page) => page.getByRole('status').innerText()

  it('"Log out everywhere" on a stale session asks for the password in place, by keyboard; Escape changes nothing; then it works and the other device lands on /login saying why', async () => {
    const { page, email } = await signUp(await newDevice(DESKTOP))
    const phonePage = await logIn(await newDevice(PHONE), email)
    makeStale(email)
    await open(page, '/account')

    await page.getByRole('button', { name: 'Log out everywhere' }).click()
    // Focus is on Cancel; Shift+Tab to Confirm and Enter.
    await page.keyboard.press('Shift+Tab')
    const refused = page.waitForResponse(r => new URL(r.url()).pathname === '/api/auth/logout-all')
    await page.keyboard.press('Enter')
    expect((await refused).status()).toBe(403)
    await expect.poll(() => prompt(page).count()).toBe(1)
    // Focus moved into the prompt, on its password field.
    expect(await focusedLabel(page)).toBe('Your password')
    await screenshot(page, 'account-reauth-1280')

    // A wrong password: said inline, focus stays in the field.
    await page.keyboard.type('not my password')
    await page.keyboard.press('Enter')
    await expect.poll(() => prompt(page).getByRole('alert').innerText()).toBe('That password is not correct.')
    expect(await focusedLabel(page)).toBe('Your password')

    // Escape: the prompt goes, focus goes back to Confirm, nothing ended.
    await page.keyboard.press('Escape')
    await expect.poll(() => prompt(page).count()).toBe(0)
    expect(await focusedLabel(page)).toBe('Confirm')
    expect(await sessionItems(page).count()).toBe(2)

    // Again, with the right password: re-authentication, then the action itself.
    await page.keyboard.press('Enter')
    await expect.poll(() => prompt(page).count()).toBe(1)
    await page.keyboard.type(PASSWORD)
    const reauthenticated = page.waitForResponse(r => new URL(r.url()).pathname === '/api/auth/reauthenticate')
    const done = page.waitForResponse(r => new URL(r.url()).pathname === '/api/auth/logout-all' && r.status() === 200)
    await page.keyboard.press('Enter')
    expect((await reauthenticated).status()).toBe(200)
    expect(await (await done).json()).toEqual({ ended: 2 })
    await page.waitForURL(u => u.pathname === '/login')

    await phonePage.evaluate(() => window.dispatchEvent(new Event('focus')))
    await phonePage.waitForURL(u => u.pathname === '/login' && u.searchParams.get('ended') === 'logged-out-everywhere')
    await expect.poll(() => notice(phonePage)).toBe('You were signed out because you logged out everywhere.')
  })

  it('ending another device from a stale session: Cancel leaves it as it was, the password then ends it; that device\'s next page load says why', async () => {
    const { page, email } = await signUp(await newDevice(DESKTOP))
    const phonePage = await logIn(await newDevice(PHONE), email)
    makeStale(email)
    await open(page, '/account')

    const endPhone = page.getByRole('button', { name: /^Log out Safari 17 on iOS 17\.5/ })
    await endPhone.click()
    await expect.poll(() => prompt(page).count()).toBe(1)
    expect(await focusedLabel(page)).toBe('Your password')
    await prompt(page).getByRole('button', { name: 'Cancel' }).click()
    await expect.poll(() => prompt(page).count()).toBe(0)
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toMatch(/^Log out Safari/)
    expect(await sessionItems(page).count()).toBe(2)

    await endPhone.click()
    await page.getByLabel('Your password', { exact: true }).fill(PASSWORD)
    const ended = page.waitForResponse(r => r.request().method() === 'DELETE' && r.status() === 200)
    await prompt(page).getByRole('button', { name: 'Continue' }).click()
    await ended
    await expect.poll(() => sessionItems(page).count()).toBe(1)
    expect(pathOf(page)).toBe('/account')

    // The phone reloads: the server-rendered redirect carries the reason.
    await open(phonePage, '/account')
    expect(pathOf(phonePage)).toBe('/login')
    expect(new URL(phonePage.url()).searchParams.get('ended')).toBe('revoked')
    await expect.poll(() => notice(phonePage)).toBe('You were signed out because this session was ended from another device.')
  })

  it('a re-authentication in one tab replaces the cookie without signing the browser\'s other tabs out, even a request that went out with the old cookie', async () => {
    const context = await newDevice()
    const { page: first } = await signUp(context)
    const second = await open(await context.newPage(), '/')
    const oldToken = (await context.cookies()).find(c => c.name === 'auth_session')!.value

    const reauth = await first.evaluate(async password => (await fetch('/api/auth/reauthenticate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password }) })).status, PASSWORD)
    expect(reauth).toBe(200)
    expect((await context.cookies()).find(c => c.name === 'auth_session')!.value).not.toBe(oldToken)

    // The second tab's background re-check gets what the server answers a request that went
    // out with the cookie from before the rotation (as one in flight during it would): a 401,
    // which must not sign it (or the first) out.
    const beforeRotation = await call(server!.url, '/api/auth/me', { cookie: `auth_session=${oldToken}` })
    expect(beforeRotation.status).toBe(401)
    const body = await beforeRotation.text()
    await second.route('**/api/auth/me', route => route.fulfill({ status: 401, contentType: 'application/json', body }), { times: 1 })
    const stale = second.waitForResponse(r => new URL(r.url()).pathname === '/api/auth/me' && r.status() === 401)
    const confirmed = second.waitForResponse(r => new URL(r.url()).pathname === '/api/auth/me' && r.status() === 200)
    await second.evaluate(() => window.dispatchEvent(new Event('focus')))
    await stale
    await confirmed
    expect(pathOf(second)).toBe('/')
    expect(pathOf(first)).toBe('/')
    await open(second, '/account')
    expect(pathOf(second)).toBe('/account')
    await open(first, '/')
    expect(pathOf(first)).toBe('/')
  })

  it('a password change in one browser signs the other out, which says why; this one stays signed in', async () => {
    const { page, email } = await signUp(await newDevice(DESKTOP))
    const phonePage = await logIn(await newDevice(PHONE), email)
    await open(page, '/account')
    await expect.poll(() => sessionItems(page).count()).toBe(2)

    // Errors first: a wrong current password, inline.
    await page.getByLabel('Current password').fill('not my password')
    await page.getByLabel('New password').fill('a brand new passphrase')
    await page.getByRole('button', { name: 'Change password' }).click()
    await expect.poll(() => page.locator('.change-password .field-error').innerText()).toBe('The current password is not correct.')
    expect(await focusedLabel(page)).toBe('Current password')

    await page.getByLabel('Current password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Change password' }).click()
    await expect.poll(() => page.locator('.change-password [role="status"]').innerText()).toBe('Password changed. 1 other session was signed out.')
    await expect.poll(() => sessionItems(page).count()).toBe(1)
    await screenshot(page, 'account-password-changed-1280')

    await phonePage.evaluate(() => window.dispatchEvent(new Event('focus')))
    await phonePage.waitForURL(u => u.pathname === '/login' && u.searchParams.get('ended') === 'password-changed')
    await expect.poll(() => notice(phonePage)).toBe('You were signed out because your password was changed.')

    // This browser is still signed in, on the rotated cookie.
    await open(page, '/account')
    expect(pathOf(page)).toBe('/account')
  })

  it('deletes the account after a confirmation naming the email and the password; every tab and device lands on /login saying so', async () => {
    const desktop = await newDevice(DESKTOP)
    const { page, email } = await signUp(desktop)
    const otherTab = await open(await desktop.newPage(), '/')
    const phonePage = await logIn(await newDevice(PHONE), email)
    makeStale(email)
    await open(page, '/account')

    await page.getByRole('button', { name: 'Delete account' }).click()
    const question = page.getByRole('group', { name: /delete the account/i })
    await expect.poll(() => question.innerText()).toContain(`Delete the account ${email}?`)
    expect(await focusedLabel(page)).toBe('Cancel')
    await page.getByRole('button', { name: 'Delete my account' }).click()
    await expect.poll(() => prompt(page).count()).toBe(1)
    await page.keyboard.type(PASSWORD)
    const deleted = page.waitForResponse(r => new URL(r.url()).pathname === '/api/auth/account' && r.status() === 200)
    await page.keyboard.press('Enter')
    await deleted
    await page.waitForURL(u => u.pathname === '/login' && u.searchParams.get('ended') === 'account-deleted')
    await expect.poll(() => notice(page)).toBe('You were signed out because your account was deleted.')

    // The other tab hears it over the channel, the phone at its next check.
    await otherTab.waitForURL(u => u.pathname === '/login' && u.searchParams.get('ended') === 'account-deleted')
    await phonePage.evaluate(() => window.dispatchEvent(new Event('focus')))
    await phonePage.waitForURL(u => u.pathname === '/login' && u.searchParams.get('ended') === 'account-deleted')
    await expect.poll(() => notice(phonePage)).toBe('You were signed out because your account was deleted.')

    // The account is gone: its password no longer logs in.
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await page.getByRole('button', { name: 'Log in' }).click()
    await expect.poll(() => page.getByRole('alert').innerText()).toBe('Invalid email or password')
  })
})
