import { afterEach, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { resolve } from 'node:path'
import postgres from 'postgres'
import { backendSkipReason, createBackend, type TestBackend } from '../support/backend'
import { call, PASSWORD, sessionSetCookie, uniqueEmail } from '../support/client'
import { startServer, type TestServer } from '../support/server'
import { sha256Hex } from '../support/sqlite'
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy'

// PostgreSQL's own faults: the database dropping away mid-load, a database that is not there,
// and several servers migrating one empty database at once. (A lock held past lock_timeout is
// in logout.test.ts.)

const skip = await backendSkipReason()

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function backend(): Promise<TestBackend> {
  const created = await createBackend() as TestBackend
  cleanups.push(() => created.close())
  return created
}

async function server(databaseUrl: string): Promise<TestServer> {
  const started = await startServer({ DATABASE_URL: databaseUrl })
  cleanups.push(() => started.stop())
  return started
}

async function proxy(databaseUrl: string): Promise<{ proxy: TcpProxy, url: string }> {
  const url = new URL(databaseUrl)
  const started = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) })
  cleanups.push(() => started.close())
  url.port = String(started.port)
  return { proxy: started, url: url.href }
}

/** The contract's store failure: 500, the generic JSON body, no Set-Cookie. */
async function expectGenericFailure(response: Response) {
  expect(response.status).toBe(500)
  expect(response.headers.getSetCookie()).toEqual([])
  const body = await response.json() as Record<string, unknown>
  expect(Object.keys(body).sort()).toEqual(['message', 'requestId', 'statusCode', 'statusMessage'])
  return body
}

interface Answer {
  kind: 'signup' | 'me' | 'login' | 'logout'
  started: number
  ms: number
  status: number | 'no answer'
  setCookie: string[]
  body: unknown
  token?: string
}

/** One request of the load, timed; a request that gets no answer within 15 s is recorded as such. */
async function timed(kind: Answer['kind'], send: () => Promise<Response>): Promise<Answer> {
  const started = performance.now()
  try {
    const response = await send()
    const text = await response.text()
    return { kind, started, ms: performance.now() - started, status: response.status, setCookie: response.headers.getSetCookie(), body: text ? JSON.parse(text) : undefined, token: sessionSetCookie(response)?.value }
  }
  catch {
    return { kind, started, ms: performance.now() - started, status: 'no answer', setCookie: [], body: undefined }
  }
}

const CUT_MS = 3_000

describe.skipIf(skip)(`PostgreSQL faults${skip ? ` (skipped: ${skip})` : ''}`, () => {
  // Two defects of postgres-js 3.4.9 made this fail in most runs: its reconnect backoff, grown to
  // 10-20 s by the cut's resets, left a query without an answer long after the database was back
  // (the `backoff` option in server/database/postgres.ts), and a query written between a
  // socket's 'error' and 'close' was resolved by the next connection's start-up, a 200 for a
  // session never stored (patches/postgres+3.4.9.patch). docs/reliability.md has both.
  it('the database cut off for 3 s mid-load: 500s without Set-Cookie or real successes, no hang, service back within 3 s', async () => {
    const db = await backend()
    const { proxy: link, url } = await proxy(db.databaseUrl)
    const app = await server(url)

    // Workers repeat: sign up, /me, log in, and on every other round log that login out.
    const answers: Answer[] = []
    const keptLogins: string[] = []
    let running = true
    const worker = async () => {
      for (let round = 0; running; round++) {
        const email = uniqueEmail()
        const signup = await timed('signup', () => call(app.url, '/api/auth/signup', { body: { email, password: PASSWORD } }))
        answers.push(signup)
        if (signup.status !== 201) continue
        answers.push(await timed('me', () => call(app.url, '/api/auth/me', { cookie: `auth_session=${signup.token}` })))
        const login = await timed('login', () => call(app.url, '/api/auth/login', { body: { email, password: PASSWORD } }))
        answers.push(login)
        if (login.status !== 200) continue
        if (round % 2) answers.push(await timed('logout', () => call(app.url, '/api/auth/logout', { method: 'POST', cookie: `auth_session=${login.token}` })))
        else keptLogins.push(login.token!)
      }
    }
    const load = Promise.all(Array.from({ length: 4 }, worker))
    const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

    await sleep(1_500)
    link.cut()
    const cutAt = performance.now()
    await sleep(CUT_MS)
    link.restore()
    const restoredAt = performance.now()
    await sleep(5_000)
    running = false
    await load

    const slowest = Math.max(...answers.map(a => a.ms))
    expect(answers.filter(a => a.status === 'no answer'), 'requests without an answer').toEqual([])
    expect(slowest, 'the slowest answer, ms').toBeLessThan(15_000)
    for (const answer of answers) {
      expect([200, 201, 500], `${answer.kind}: ${JSON.stringify(answer.body)}`).toContain(answer.status)
      if (answer.status === 500) {
        expect(answer.setCookie, answer.kind).toEqual([])
        expect(Object.keys(answer.body as object).sort()).toEqual(['message', 'requestId', 'statusCode', 'statusMessage'])
      }
    }
    const failed = answers.filter(a => a.status === 500)
    expect(failed.length, 'the cut made requests fail').toBeGreaterThan(0)
    // Service is back within 3 s of the database: everything sent after that succeeds.
    // Nor is a request sent earlier still waiting then: each is answered within 4 s of the
    // database's return or of its own start (a connection attempt lost in the cut takes
    // connect_timeout, 2 s, to fail).
    const answeredLate = answers.filter(a => a.started + a.ms > Math.max(restoredAt, a.started) + 4_000)
    expect(answeredLate.map(a => `${a.kind} ${a.status} after ${Math.round(a.ms)} ms`), 'answered more than 4 s after the database came back').toEqual([])
    const late = answers.filter(a => a.started >= restoredAt + 3_000)
    expect(late.length).toBeGreaterThan(0)
    expect(late.filter(a => a.status === 500), 'failures 3 s after the database came back').toEqual([])
    expect(failed.every(a => a.started + a.ms >= cutAt)).toBe(true)

    // Every success happened: the user and session of each 201 exist, each kept login's session
    // exists, and each logout answered true removed its session.
    for (const signup of answers.filter(a => a.kind === 'signup' && a.status === 201)) {
      const { user } = signup.body as { user: { id: string } }
      expect(await db.userById(user.id)).toBeDefined()
      expect(await db.sessionById(sha256Hex(signup.token!))).toBeDefined()
    }
    for (const token of keptLogins) expect(await db.sessionById(sha256Hex(token))).toBeDefined()
    const ended = answers.filter(a => a.kind === 'logout' && a.body === true)
    expect(ended.length).toBeGreaterThan(0)
    for (const logout of ended) expect(logout.setCookie.join()).toMatch(/Max-Age=0/)
    console.info(`[postgres cut] ${answers.length} requests, ${failed.length} answered 500, slowest ${Math.round(slowest)} ms`)
  }, 60_000)

  // The server's own copy of postgres-js, as patched (patches/postgres+3.4.9.patch): a query sent
  // while its connection is closing, by a request whose turn comes in between, is failed or run
  // for real on the next connection, never answered with another's reply, and the next
  // connection's own writes go out.
  for (const moment of ['error', 'close'] as const) {
    it(`the bundled driver never answers a query sent at the socket's '${moment}' with another's reply, and sends the next connection's start-up`, async () => {
      const { default: bundledPostgres } = await import(resolve('.output/server/node_modules/postgres/src/index.js')) as { default: typeof postgres }
      const db = await backend()
      const { proxy: link, url } = await proxy(db.databaseUrl)
      const target = new URL(url)
      let sendQuery: (() => void) | undefined
      const sockets: Socket[] = []
      // `socket` (the driver's documented hook for its own sockets) is missing from its types.
      const options = {
        max: 1,
        connect_timeout: 2,
        onnotice: () => {},
        socket: () => {
          const socket = connect(Number(target.port), target.hostname)
          // Before the driver's own listener: the query goes out as the socket closes.
          if (moment === 'close') socket.once('close', () => sendQuery?.())
          sockets.push(socket)
          return socket
        },
      }
      const sql = bundledPostgres(url, options)
      cleanups.push(() => sql.end({ timeout: 1 }))
      expect(await sql`select 1 as one`).toEqual([{ one: 1 }])

      const sentWhileClosing = new Promise<unknown>((settle) => {
        sendQuery = () => {
          sendQuery = undefined
          sql`select 2 as two`.then(rows => settle(JSON.stringify(rows)), (error: { code?: string }) => settle(error.code))
        }
        // After the driver's own listener: between the socket's 'error' and its 'close'.
        if (moment === 'error') sockets[0]!.once('error', sendQuery)
      })
      const closed = new Promise(resolveClosed => sockets[0]!.once('close', resolveClosed))
      link.cut()
      await closed
      link.restore()
      // A new connection: its start-up is not taken as the answer above, and it is sent at all.
      expect(await sql`select 3 as three`).toEqual([{ three: 3 }])
      expect(['CONNECTION_CLOSED', '[{"two":2}]']).toContain(await sentWhileClosing)
    }, 10_000)
  }

  it('an unreachable database is a store fault: 500 with the generic body, the detail in the log', async () => {
    // A proxy that is cut before the server starts: every connection is accepted and never answered.
    const db = await backend()
    const { proxy: link, url } = await proxy(db.databaseUrl)
    link.cut()
    const app = await server(url)
    const started = performance.now()
    const { requestId } = await expectGenericFailure(await call(app.url, '/api/auth/logout', { method: 'POST', cookie: `auth_session=${'a'.repeat(40)}` }))
    expect(performance.now() - started).toBeLessThan(15_000)
    expect(await app.waitForLog(String(requestId))).toMatch(/CONNECT_TIMEOUT/)
    await expectGenericFailure(await call(app.url, '/api/auth/signup', { body: { email: uniqueEmail(), password: PASSWORD } }))

    link.restore()
    const signup = await call(app.url, '/api/auth/signup', { body: { email: uniqueEmail(), password: PASSWORD } })
    expect(signup.status).toBe(201)
  }, 40_000)

  // Every migration in drizzle/postgres, each recorded once.
  const BUNDLED_MIGRATIONS = (JSON.parse(readFileSync('drizzle/postgres/meta/_journal.json', 'utf8')) as { entries: unknown[] }).entries.length

  it('four servers started together on an empty database migrate it once, without an error', async () => {
    for (let round = 0; round < 2; round++) {
      const db = await backend()
      const servers = await Promise.all(Array.from({ length: 4 }, () => server(db.databaseUrl)))
      // Each one's first request waits for its own start-up migration.
      for (const app of servers) expect((await call(app.url, '/api/auth/me', { cookie: `auth_session=${'a'.repeat(40)}` })).status).toBe(401)
      for (const app of servers) expect((await call(app.url, '/api/auth/signup', { body: { email: uniqueEmail(), password: PASSWORD } })).status).toBe(201)
      for (const app of servers) expect(app.logs(), `round ${round}`).not.toMatch(/could not open the database|error/i)
      const sql = postgres(db.databaseUrl, { max: 1, onnotice: () => {} })
      const applied = await sql`select hash from drizzle.__drizzle_migrations`.finally(() => sql.end())
      expect(applied).toHaveLength(BUNDLED_MIGRATIONS)
    }
  }, 60_000)
})
