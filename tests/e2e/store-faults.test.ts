import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { call, PASSWORD, signUpUser, uniqueEmail } from '../support/client'
import { startServer, type TestServer } from '../support/server'
import { openDatabase } from '../support/sqlite'
import { mountTmpfs, type Tmpfs } from '../support/tmpfs'

// SQLite's own faults: a full disk, a read-only file system, a directory that cannot be created.
// (A lock held past busy_timeout is in logout.test.ts, on both backends.)

const probe = mountTmpfs('64k')
const skip = 'skip' in probe ? probe.skip : undefined
if (!('skip' in probe)) probe.unmount()

// What SQLite or the open reports when it cannot write; the recovery afterwards is the real test.
const READ_ONLY = /EROFS|readonly|unable to open/

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function disk(): Tmpfs {
  const mounted = mountTmpfs('4m')
  if ('skip' in mounted) throw new Error(mounted.skip)
  cleanups.push(() => mounted.unmount())
  return mounted
}

async function server(databaseUrl: string): Promise<TestServer> {
  const started = await startServer({ DATABASE_URL: databaseUrl })
  cleanups.push(() => started.stop())
  return started
}

const logout = (target: TestServer, cookie: string) => call(target.url, '/api/auth/logout', { method: 'POST', cookie })
const logIn = (target: TestServer, email: string) => call(target.url, '/api/auth/login', { body: { email, password: PASSWORD } })
const signUp = (target: TestServer, email: string) => call(target.url, '/api/auth/signup', { body: { email, password: PASSWORD } })

/** The contract's store failure: 500, a generic JSON body, no Set-Cookie, the detail in the log. */
async function expectStoreFailure(response: Response, target: TestServer, detail: RegExp) {
  expect(response.status).toBe(500)
  expect(response.headers.getSetCookie()).toEqual([])
  expect(response.headers.get('cache-control')).toBe('no-store')
  const body = await response.json() as Record<string, unknown>
  expect(Object.keys(body).sort()).toEqual(['message', 'requestId', 'statusCode', 'statusMessage'])
  expect(body.message).toBe('The server could not complete the request. Please try again.')
  // This request's own log entry: its `[api] … (request id …)` line and the lines of its cause,
  // up to the next entry.
  const logs = (await target.waitForLog(String(body.requestId))).split('\n')
  const start = logs.findIndex(line => line.startsWith('[api]') && line.includes(String(body.requestId)))
  expect(start, 'the request is logged under its id').toBeGreaterThanOrEqual(0)
  const end = logs.findIndex((line, i) => i > start && line.startsWith('['))
  expect(logs.slice(start, end < 0 ? undefined : end).join('\n')).toMatch(detail)
}

describe.skipIf(skip)(`store faults on sqlite${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('full disk: logout, login and signup answer 500 and lose nothing; freeing space recovers', async () => {
    const tmpfs = disk()
    const app = await server(join(tmpfs.dir, 'app.db'))
    const email = uniqueEmail()
    const { cookie } = await signUpUser(app.url, email)
    const newcomer = uniqueEmail()
    // Once checkpointed, the WAL starts over in the space it already has, so the next writes
    // would need no new space: emptied, every one does.
    const db = openDatabase(join(tmpfs.dir, 'app.db'))
    db.pragma('wal_checkpoint(TRUNCATE)')
    db.close()

    const filler = tmpfs.fill()
    await expectStoreFailure(await logout(app, cookie), app, /database or disk is full/)
    await expectStoreFailure(await logIn(app, email), app, /database or disk is full/)
    await expectStoreFailure(await signUp(app, newcomer), app, /database or disk is full/)
    rmSync(filler)

    const retry = await logout(app, cookie)
    expect(retry.status).toBe(200)
    expect(await retry.json()).toBe(true)
    // The failed signup left no half-created user behind: the address is still free.
    expect((await signUp(app, newcomer)).status).toBe(201)
    expect((await logIn(app, email)).status).toBe(200)
  })

  it.each(['SIGTERM', 'SIGKILL'] as const)('read-only file system (previous server stopped by %s): 500 until it is writable, then the same cookie logs out', async (signal) => {
    const tmpfs = disk()
    const path = join(tmpfs.dir, 'app.db')
    const first = await server(path)
    const email = uniqueEmail()
    const { cookie } = await signUpUser(first.url, email)
    // SIGKILL leaves the WAL and its index behind, with which SQLite would open the file read-only.
    process.kill(first.pid, signal)
    await first.stop()

    tmpfs.remount('ro')
    const app = await server(path)
    await expectStoreFailure(await logout(app, cookie), app, READ_ONLY)
    await expectStoreFailure(await logIn(app, email), app, READ_ONLY)
    await expectStoreFailure(await signUp(app, uniqueEmail()), app, READ_ONLY)
    tmpfs.remount('rw')

    const retry = await logout(app, cookie)
    expect(retry.status).toBe(200)
    expect(await retry.json()).toBe(true)
    expect((await logIn(app, email)).status).toBe(200)
  })
})

describe('store faults on sqlite: missing directory', () => {
  it('answers 500 while the directory cannot be created, and works once it can', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auth-faults-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    // A file where the database's parent directory should be: mkdir fails (ENOTDIR).
    const blocker = join(dir, 'volume')
    writeFileSync(blocker, '')
    const app = await server(join(blocker, 'data', 'app.db'))
    const wellFormed = `auth_session=${'a'.repeat(40)}`

    // Not 200 false: without a store the server cannot know whether the session exists.
    await expectStoreFailure(await logout(app, wellFormed), app, /ENOTDIR/)
    await expectStoreFailure(await signUp(app, uniqueEmail()), app, /ENOTDIR/)

    rmSync(blocker)
    const { cookie } = await signUpUser(app.url)
    const response = await logout(app, cookie)
    expect(response.status).toBe(200)
    expect(await response.json()).toBe(true)
  })
})

describe('store faults on sqlite: directory deleted while the server runs', () => {
  it('answers 500 instead of acknowledging writes into the deleted file, until restarted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auth-faults-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const path = join(dir, 'data', 'app.db')
    const app = await server(path)
    const email = uniqueEmail()
    const { cookie } = await signUpUser(app.url, email)

    rmSync(join(dir, 'data'), { recursive: true })
    // SQLite would still write into the unlinked file, and these would be lost at the next start.
    const gone = /deleted or replaced while open/
    await expectStoreFailure(await logout(app, cookie), app, gone)
    await expectStoreFailure(await logIn(app, email), app, gone)
    await expectStoreFailure(await signUp(app, uniqueEmail()), app, gone)
    await app.stop()

    // A restart opens a new, empty file at the path, and it works.
    const restarted = await server(path)
    expect((await call(restarted.url, '/api/auth/me', { cookie })).status).toBe(401)
    const { cookie: fresh } = await signUpUser(restarted.url, email)
    expect(await (await logout(restarted, fresh)).json()).toBe(true)
  })

  it('answers 500 too when the directory is moved away: the file is still linked, but not at the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auth-faults-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const app = await server(join(dir, 'data', 'app.db'))
    const email = uniqueEmail()
    const { cookie } = await signUpUser(app.url, email)

    renameSync(join(dir, 'data'), join(dir, 'moved'))
    const gone = /deleted or replaced while open/
    await expectStoreFailure(await logout(app, cookie), app, gone)
    await expectStoreFailure(await signUp(app, uniqueEmail()), app, gone)
  })
})
