import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, PASSWORD, signUpUser, uniqueEmail } from '../support/client'
import { startServer, type TestServer } from '../support/server'
import { openDatabase } from '../support/sqlite'

/**
 * The security headers of server/plugins/security-headers.ts, on pages and on every kind of API
 * answer, and a Content-Security-Policy the app really satisfies: Chromium walks through
 * /login, /signup, the home page and a logout without a console error or a CSP violation.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium && process.env.CI) throw new Error(`CI needs Chromium at ${CHROMIUM} (.ci/run installs it)`)

let server: TestServer

beforeAll(async () => {
  // Plain HTTP on 127.0.0.1: the browser must get the cookie back without `Secure`.
  server = await startServer({ NUXT_AUTH_COOKIE_SECURE: 'false' })
})
afterAll(() => server?.stop())

function expectCommonHeaders(response: Response, what: string) {
  expect(response.headers.get('x-content-type-options'), what).toBe('nosniff')
  expect(response.headers.get('referrer-policy'), what).toBe('same-origin')
  expect(response.headers.get('x-frame-options'), what).toBe('DENY')
  expect(directives(response)['frame-ancestors'], what).toEqual(['\'none\''])
}

/** The Content-Security-Policy as directive → sources. */
function directives(response: Response): Record<string, string[]> {
  const policy = response.headers.get('content-security-policy') ?? ''
  return Object.fromEntries(policy.split(';').map(d => d.trim().split(/\s+/)).filter(d => d[0]).map(([name, ...sources]) => [name!, sources]))
}

/** The policy of everything but pages (JSON, errors, static files, redirects): nothing at all. */
const NOTHING_POLICY = 'default-src \'none\'; frame-ancestors \'none\'; base-uri \'none\'; form-action \'none\''

function expectApiHeaders(response: Response, status: number, what: string) {
  expect(response.status, what).toBe(status)
  expectCommonHeaders(response, what)
  expect(response.headers.get('cache-control'), what).toBe('no-store')
  expect(response.headers.get('content-type'), what).toMatch(/^application\/json/)
  expect(response.headers.get('content-security-policy'), what).toBe(NOTHING_POLICY)
}

/** Inline scripts the browser would execute, and inline styles, as CSP hash sources. */
function inlineSources(html: string) {
  const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`
  const scripts: string[] = []
  const styles: string[] = []
  for (const [, tag, attributes, content] of html.matchAll(/<(script|style)\b([^>]*)>([\s\S]*?)<\/\1>/g)) {
    if (tag === 'style') styles.push(hash(content!))
    else if (!/\bsrc=/.test(attributes!) && !/type="application\/json"/.test(attributes!)) scripts.push(hash(content!))
  }
  return { scripts, styles }
}

async function expectPageHeaders(path: string, init: { status?: number, headers?: Record<string, string> } = {}) {
  const response = await call(server.url, path, { headers: { accept: 'text/html', ...init.headers } })
  const html = await response.text()
  expect(response.status, path).toBe(init.status ?? 200)
  expect(response.headers.get('content-type'), path).toMatch(/^text\/html/)
  expectCommonHeaders(response, path)
  expect(response.headers.get('cache-control'), path).toBe('no-store')

  // The whole policy, directive by directive: the app's own origin, and Nuxt's own inline
  // scripts (the import map, window.__NUXT__.config) and styles by hash, nothing else.
  const { scripts, styles } = inlineSources(html)
  expect(scripts.length, path).toBeGreaterThan(0)
  const csp = directives(response)
  expect({ ...csp, 'script-src': [...csp['script-src']!].sort(), 'style-src': [...csp['style-src']!].sort() }, path).toEqual({
    'default-src': ['\'self\''],
    'script-src': ['\'self\'', ...new Set(scripts)].sort(),
    'style-src': ['\'self\'', ...new Set(styles)].sort(),
    'img-src': ['\'self\'', 'data:'],
    'font-src': ['\'self\''],
    'connect-src': ['\'self\''],
    'object-src': ['\'none\''],
    'base-uri': ['\'none\''],
    'form-action': ['\'self\''],
    'frame-ancestors': ['\'none\''],
  })
  return { response, html }
}

describe('security headers', () => {
  it('on pages: a CSP allowing only the app\'s own resources and Nuxt\'s inline scripts by hash', async () => {
    await expectPageHeaders('/login')
    await expectPageHeaders('/signup')
    const { cookie } = await signUpUser(server.url)
    await expectPageHeaders('/', { headers: { cookie } })
    // Nuxt's error page, rendered through an internal request whose headers Nuxt copies.
    await expectPageHeaders('/no-such-page', { status: 404 })
  })

  it('on a page redirect and on static assets', async () => {
    const redirect = await call(server.url, '/', { headers: { accept: 'text/html' } })
    expect(redirect.status).toBe(302)
    expectCommonHeaders(redirect, 'redirect')
    expect(redirect.headers.get('content-security-policy')).toBe(NOTHING_POLICY)

    const html = await (await call(server.url, '/login')).text()
    const script = /<script type="module" src="([^"]+)"/.exec(html)![1]!
    const asset = await call(server.url, script)
    expect(asset.status).toBe(200)
    // nosniff is safe on assets: each has its real type.
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript|^application\/javascript/)
    expectCommonHeaders(asset, 'asset')
    expect(asset.headers.get('content-security-policy')).toBe(NOTHING_POLICY)
  })

  it('on every API answer: 200, 201, 400, 401, 404, 405, 413, as JSON with no-store', async () => {
    const signup = await call(server.url, '/api/auth/signup', { body: { email: uniqueEmail(), password: PASSWORD } })
    expectApiHeaders(signup, 201, 'signup')
    const cookie = `auth_session=${/auth_session=([^;]*)/.exec(signup.headers.get('set-cookie')!)![1]}`
    expectApiHeaders(await call(server.url, '/api/auth/me', { cookie }), 200, 'me')
    expectApiHeaders(await call(server.url, '/api/auth/logout', { method: 'POST', cookie }), 200, 'logout')
    expectApiHeaders(await call(server.url, '/api/auth/logout', { method: 'POST' }), 401, 'logout without a cookie')
    expectApiHeaders(await call(server.url, '/api/auth/me'), 401, 'me without a session')
    expectApiHeaders(await call(server.url, '/api/auth/login', { body: '{"email":' }), 400, 'malformed JSON')
    expectApiHeaders(await call(server.url, '/api/nope', { headers: { accept: 'text/html' } }), 404, 'unknown API path')
    expectApiHeaders(await call(server.url, '/api/auth/logout', { method: 'PUT', headers: { accept: 'text/html' } }), 405, 'PUT logout')
    expectApiHeaders(await call(server.url, '/api/auth/signup', { body: 'x'.repeat(17 * 1024) }), 413, 'oversized body')
    expectApiHeaders(await call(server.url, '/api/auth/logout', { method: 'POST', headers: { 'origin': 'https://evil.example', 'sec-fetch-site': 'cross-site' } }), 403, 'cross-origin')
  })

  it('on a 500: the store fails while another writer holds the lock', async () => {
    const { cookie } = await signUpUser(server.url)
    const db = openDatabase(server.dbPath)
    try {
      db.exec('begin immediate')
      const response = await call(server.url, '/api/auth/logout', { method: 'POST', cookie })
      expectApiHeaders(response, 500, 'store failure')
      expect(response.headers.get('set-cookie')).toBeNull()
    }
    finally {
      if (db.inTransaction) db.exec('rollback')
      db.close()
    }
  }, 20_000)
})

describe.skipIf(!haveChromium)(`in Chromium${haveChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM})`}`, () => {
  let browser: Browser

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
  })
  afterAll(() => browser?.close())

  interface Problems {
    console: string[]
    violations: string[]
  }

  /** A page whose console errors, uncaught errors and CSP violations are all recorded. */
  async function newPage(): Promise<{ page: Page, problems: Problems }> {
    const context = await browser.newContext()
    const page = await context.newPage()
    const problems: Problems = { console: [], violations: [] }
    page.on('console', (message) => {
      if (message.type() === 'error') problems.console.push(`${page.url()}: ${message.text()}`)
    })
    page.on('pageerror', error => problems.console.push(`${page.url()}: uncaught ${error.message}`))
    await page.exposeFunction('reportCspViolation', (violation: string) => problems.violations.push(violation))
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        const report = (window as unknown as { reportCspViolation: (v: string) => void }).reportCspViolation
        report(`${event.documentURI}: ${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} (${event.sample})`)
      })
    })
    return { page, problems }
  }

  // An image from an origin img-src does not allow: its violation is the last one reported.
  const SENTINEL = 'http://127.0.0.2:9/csp-sentinel.png'

  /**
   * The problems recorded so far, once every violation before now has been reported: violations
   * arrive asynchronously, in order, so one caused now and awaited comes after all of them.
   */
  async function settled(page: Page, problems: Problems): Promise<Problems> {
    await page.evaluate((src) => {
      new Image().src = src
    }, SENTINEL)
    await expect.poll(() => problems.violations.some(v => v.includes(SENTINEL))).toBe(true)
    const others = (lines: string[]) => lines.filter(line => !line.includes(SENTINEL))
    return { console: others(problems.console), violations: others(problems.violations) }
  }

  async function goto(page: Page, path: string) {
    await page.goto(new URL(path, server.url).href)
    await page.waitForFunction(() => Boolean((document.getElementById('__nuxt') as { __vue_app__?: unknown } | null)?.__vue_app__))
  }

  it('loads /login and /signup, signs up, reaches the home page and logs out: no console error, no CSP violation', async () => {
    const { page, problems } = await newPage()
    try {
      await goto(page, '/login')
      await goto(page, '/signup')
      await page.getByLabel('Email').fill(uniqueEmail())
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign up' }).click()
      await page.waitForURL(u => u.pathname === '/')
      await expect.poll(() => page.locator('main').innerText()).toContain('Signed in as')

      await page.getByRole('button', { name: 'Log out' }).click()
      await page.waitForURL(u => u.pathname === '/login')
      // A full load of the signed-out page too, after the client-side navigation.
      await goto(page, '/login')
      expect(await settled(page, problems)).toEqual({ console: [], violations: [] })
    }
    finally {
      await page.context().close()
    }
  }, 40_000)

  it('renders Nuxt\'s 404 page without a CSP violation', async () => {
    const { page, problems } = await newPage()
    try {
      const response = await page.goto(new URL('/no-such-page', server.url).href)
      expect(response?.status()).toBe(404)
      expect((await settled(page, problems)).violations).toEqual([])
    }
    finally {
      await page.context().close()
    }
  })

  it('enforces the policy: an injected inline script is blocked and reported', async () => {
    const { page, problems } = await newPage()
    try {
      await goto(page, '/login')
      const ran = await page.evaluate(async () => {
        const script = document.createElement('script')
        script.textContent = 'window.injectedScriptRan = true'
        // An inline script that is allowed runs as it is inserted.
        document.body.append(script)
        return (window as unknown as { injectedScriptRan?: boolean }).injectedScriptRan === true
      })
      expect(ran).toBe(false)
      await expect.poll(() => problems.violations).toEqual([expect.stringMatching(/script-src-elem blocked inline/)])
      // And the page cannot be framed.
      expect(await page.evaluate(async (url) => {
        const frame = document.createElement('iframe')
        frame.src = url
        // A refused frame loads Chromium's error page instead, which fires load too.
        const loaded = new Promise(resolve => frame.addEventListener('load', resolve, { once: true }))
        document.body.append(frame)
        await loaded
        try {
          return frame.contentDocument?.getElementById('__nuxt') !== null && frame.contentDocument !== null
        }
        catch {
          return false
        }
      }, new URL('/login', server.url).href)).toBe(false)
    }
    finally {
      await page.context().close()
    }
  })
})
