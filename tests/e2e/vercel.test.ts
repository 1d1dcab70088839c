import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBackend, type TestBackend } from '../support/backend'
import { call, PASSWORD, sessionSetCookie, signUpUser } from '../support/client'
import { startServer, type TestServer } from '../support/server'
import { resetLink, startSmtpServer } from '../support/smtp'
import { sha256Hex } from '../support/sqlite'

const OUTPUT = resolve('.vercel/output')
const FUNCTION_DIR = join(OUTPUT, 'functions/__fallback.func')

// PostgreSQL is the store for a Vercel deployment; without a server this file is skipped
// (locally) or fails (in CI), like the other PostgreSQL suites.
const created = await createBackend()
const skip = 'skip' in created ? created.skip : undefined
let backend: TestBackend
let server: TestServer
const smtp = await startSmtpServer()

beforeAll(async () => {
  if ('skip' in created) return
  backend = created
  // As on Vercel: the preset, and DATABASE_URL set for the build as for the functions.
  const build = spawnSync('npx', ['nuxi', 'build'], {
    env: { ...process.env, NITRO_PRESET: 'vercel', DATABASE_URL: backend.databaseUrl },
    encoding: 'utf8',
    timeout: 240_000,
  })
  if (build.status !== 0) throw new Error(`vercel build failed:\n${build.stdout}\n${build.stderr}`)
  // DATABASE_POOL_MAX=1 as the README has it for Vercel (before 2026-12-08 it hung every request).
  server = await startServer(
    { DATABASE_URL: backend.databaseUrl, DATABASE_POOL_MAX: '1', VERCEL: '1', NUXT_MAIL_SMTP_URL: smtp.url, NUXT_AUTH_ORIGIN: 'https://app.example' },
    { args: [resolve('tests/support/vercel-node-runtime.mjs'), FUNCTION_DIR], cwd: FUNCTION_DIR },
  )
}, 300_000)
afterAll(async () => {
  await server?.stop()
  await backend?.close()
  await smtp.close()
})

describe.skipIf(skip)(`NITRO_PRESET=vercel build on postgres${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('writes the Build Output API layout: config.json, static files and a Node.js function', () => {
    const config = JSON.parse(readFileSync(join(OUTPUT, 'config.json'), 'utf8')) as { version: number, routes: unknown[] }
    expect(config.version).toBe(3)
    expect(config.routes.length).toBeGreaterThan(0)
    expect(readdirSync(join(OUTPUT, 'static')).length).toBeGreaterThan(0)
    const vc = JSON.parse(readFileSync(join(FUNCTION_DIR, '.vc-config.json'), 'utf8')) as Record<string, string>
    expect(vc).toMatchObject({ launcherType: 'Nodejs', runtime: 'nodejs24.x' })
  })

  it('leaves the SQLite driver out of the function bundle: no package, no native binary, no import', () => {
    expect(existsSync(join(FUNCTION_DIR, 'node_modules/postgres'))).toBe(true)
    // drizzle is inlined into the bundle, so what would betray SQLite is better-sqlite3 itself:
    // its package directory, its compiled .node addon, or code that loads either.
    const files = readdirSync(FUNCTION_DIR, { recursive: true, encoding: 'utf8' })
    expect(files.filter(file => /(^|\/)better-sqlite3(\/|$)/.test(file))).toEqual([])
    // The one native addon is argon2's.
    expect(files.filter(file => file.endsWith('.node'))).toEqual([expect.stringMatching(/^node_modules\/@node-rs\/argon2-[^/]+\/argon2\.[^/]+\.node$/)])
    const code = files.filter(file => /\.[cm]?js$/.test(file) && !file.startsWith('node_modules/postgres/'))
    expect(code.length).toBeGreaterThan(0)
    // Code that loads the driver; the name as a string loads nothing (rate-limiter-flexible's
    // SQLite store names it as a `storeType`).
    const loadsSqlite = /\b(?:require\s*\(|import\s*\(|from)\s*["']better-sqlite3["']/
    expect(code.filter(file => loadsSqlite.test(readFileSync(join(FUNCTION_DIR, file), 'utf8')))).toEqual([])
  })

  it('stores its sessions in the PostgreSQL database', async () => {
    const { user, token } = await signUpUser(server.url)
    expect(await backend.userById(user.id)).toMatchObject({ email: user.email })
    expect((await backend.sessionById(sha256Hex(token)))?.userId).toBe(user.id)
  })

  it('keeps the logout contract through the function handler', async () => {
    const { token, cookie } = await signUpUser(server.url)

    const first = await call(server.url, '/api/auth/logout', { method: 'POST', cookie })
    expect(first.status).toBe(200)
    expect(first.headers.get('content-type')).toMatch(/^application\/json/)
    expect(first.headers.get('cache-control')).toBe('no-store')
    expect(await first.text()).toBe('true')
    const blank = sessionSetCookie(first)!
    expect(blank.value).toBe('')
    expect(blank.attributes).toMatchObject({ 'max-age': '0', 'path': '/', 'samesite': 'Lax', 'httponly': '', 'secure': '' })

    const again = await call(server.url, '/api/auth/logout', { method: 'POST', cookie })
    expect(await again.json()).toBe(false)

    expect((await call(server.url, '/api/auth/logout', { method: 'POST' })).status).toBe(401)
    const malformed = await call(server.url, '/api/auth/logout', { method: 'POST', cookie: 'auth_session=xyz' })
    expect(malformed.status).toBe(401)
    expect(sessionSetCookie(malformed)?.attributes['max-age']).toBe('0')
    expect((await call(server.url, '/api/auth/logout', { method: 'POST', cookie, headers: { origin: 'https://evil.example' } })).status).toBe(403)
    const get = await call(server.url, '/api/auth/logout', { headers: { accept: 'text/html' } })
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')

    const results = await Promise.all(Array.from({ length: 10 }, async () => {
      const { cookie: live } = await signUpUser(server.url)
      return Promise.all([1, 2, 3].map(async () => (await call(server.url, '/api/auth/logout', { method: 'POST', cookie: live })).json()))
    }))
    for (const perCookie of results) expect(perCookie.filter(r => r === true)).toHaveLength(1)
    expect(await backend.sessionById(sha256Hex(token))).toBeUndefined()
  })

  it('throttles login through the function, counting in PostgreSQL', async () => {
    const { user } = await signUpUser(server.url)
    const before = await backend.count('rate_limit')
    expect((await call(server.url, '/api/auth/login', { body: { email: user.email, password: 'wrong password' } })).status).toBe(401)
    expect(await backend.count('rate_limit')).toBe(before + 2)
    expect((await call(server.url, '/api/auth/login', { body: { email: user.email, password: PASSWORD } })).status).toBe(200)
  })

  it('keeps the invocation alive until the password-reset mail is handed over (event.waitUntil)', async () => {
    const { user } = await signUpUser(server.url)
    const held = smtp.holdNext()
    const response = await call(server.url, '/api/auth/password-reset', { body: { email: user.email } })
    expect(response.status).toBe(202)
    await held.arrived
    // The answer is out and the SMTP server has not accepted the message: the invocation must
    // still be running, or Vercel could freeze the function mid-delivery.
    expect(server.logs()).not.toContain('[vercel-runtime] POST /api/auth/password-reset ended')
    held.release()
    const logs = await server.waitForLog('[vercel-runtime] POST /api/auth/password-reset ended')
    expect(logs).toMatch(/POST \/api\/auth\/password-reset ended after [1-9]\d* waitUntil/)
    const [mail] = await smtp.mailsTo(user.email)
    expect(resetLink(mail!).link.origin).toBe('https://app.example')
  })
})
