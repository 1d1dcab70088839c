import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, sessionSetCookie, signUpUser, uniqueEmail, PASSWORD, type CallOptions } from '../support/client'
import { startServer, type TestServer } from '../support/server'
import { openDatabase, sha256Hex } from '../support/sqlite'

// Several server processes on one SQLite file (WAL, busy_timeout, BEGIN IMMEDIATE): concurrent
// logins and logouts never surface SQLITE_BUSY, and a process killed with SIGKILL in the middle
// of them leaves a sound file in which every acknowledged login and logout holds.
// SQLite only: this file is not in vitest.config.ts's apiSuites.

const USERS = 8
/** Requests in flight at once, over both servers. */
const CONCURRENCY = 24
/** Session lifecycles per worker in the first test: 192 in all. */
const ROUNDS = 8
/** Logouts answered `true` before the kill, and by the survivor after it. */
const TRUE_LOGOUTS_EACH_SIDE = 60
/** Requests to the victim still unanswered when it is killed, among them a login and a logout. */
const MIN_IN_FLIGHT_AT_KILL = 6
/** A bound on each wait of the second test, in session lifecycles (each of them reaches its goal in about 100). */
const MAX_LIFECYCLES = 300

/**
 * Login throttling counts an attempt from the moment it starts until it succeeds, so more than
 * 10 logins from one address in flight at once on one process are refused with 429 even with
 * the right password. All of this load comes from 127.0.0.1; the limit is raised out of its way.
 */
const SERVER_ENV = { NUXT_AUTH_LOGIN_MAX_FAILURES: '100000' }

const BUSY = /SQLITE_BUSY|database is locked/i
/** What server/error.ts logs for every 5xx of the API. */
const API_FAILURE_LOG = /\[api\].*failed/

type Kind = 'login' | 'me' | 'logout'

interface Target {
  name: string
  server: TestServer
  /** Requests sent to it and not answered yet. */
  pending: Set<Outcome>
}

interface Outcome {
  kind: Kind
  server: string
  status?: number
  body?: string
  /** The session token a response set, if any. */
  token?: string
  /** A connection error: no answer at all. */
  error?: string
  answeredAfterKill: boolean
}

interface Session {
  token: string
  email: string
  /** active: logged in, not logged out; ended: a logout answered `true`; unknown: a logout got no answer. */
  state: 'active' | 'ended' | 'unknown'
  /** For an ended session: the server that answered `true`. */
  endedBy?: string
}

let dir: string
let dbPath: string
let a: TestServer
let b: TestServer
let c: TestServer | undefined
const users: string[] = []
/** Every session any test here logged in, for the final checks. */
const sessions: Session[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'auth-e2e-kill-'))
  dbPath = join(dir, 'app.db')
  a = await startServer({ ...SERVER_ENV, DATABASE_URL: dbPath })
  b = await startServer({ ...SERVER_ENV, DATABASE_URL: a.dbPath })
  for (let i = 0; i < USERS; i++) {
    const email = uniqueEmail()
    await signUpUser(i % 2 ? b.url : a.url, email)
    users.push(email)
  }
})
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop(), c?.stop()])
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/**
 * Concurrent traffic over the servers still alive. Each worker runs session lifecycles: log in
 * on one server, /me on the other (200), then keep the session, log it out on one server
 * (`true`), or log it out on both at once (exactly one `true`), and /me again (401). Every
 * answer is recorded; what contradicts the contract goes to `violations`.
 */
class Load {
  readonly outcomes: Outcome[] = []
  readonly violations: string[] = []
  alive: Target[]
  killed = false
  private stopping = false
  private lifecycles = 0
  private failure: unknown

  constructor(readonly targets: Target[]) {
    this.alive = [...targets]
  }

  /** `rounds` lifecycles per worker, or until stop() when undefined. */
  run(workers: number, rounds?: number): Promise<void> {
    return Promise.all(Array.from({ length: workers }, async () => {
      for (let round = 0; rounds === undefined ? !this.stopping : round < rounds; round++) {
        await this.lifecycle(this.lifecycles++)
      }
    })).catch((error: unknown) => {
      this.failure = error
      throw error
    }).then(() => {})
  }

  stop(): void {
    this.stopping = true
  }

  /** Marks a target dead; from now on only the others get new requests. */
  kill(target: Target): void {
    this.killed = true
    this.alive = this.alive.filter(t => t !== target)
  }

  /**
   * Resolves once `condition` holds; rejects if a worker threw, or if it still does not hold
   * after `MAX_LIFECYCLES` more lifecycles (about three times what it takes).
   */
  async until(what: string, condition: () => boolean): Promise<void> {
    const limit = this.lifecycles + MAX_LIFECYCLES
    while (!condition()) {
      if (this.failure) throw this.failure
      if (this.lifecycles > limit) throw new Error(`not reached after ${MAX_LIFECYCLES} session lifecycles: ${what}`)
      await new Promise(resolve => setTimeout(resolve, 2))
    }
  }

  count(filter: (o: Outcome) => boolean): number {
    return this.outcomes.filter(filter).length
  }

  private pick(n: number): Target {
    return this.alive[n % this.alive.length]!
  }

  private async send(kind: Kind, target: Target, path: string, options: CallOptions): Promise<Outcome> {
    const outcome: Outcome = { kind, server: target.name, answeredAfterKill: false }
    target.pending.add(outcome)
    try {
      const response = await call(target.server.url, path, options)
      outcome.status = response.status
      outcome.token = sessionSetCookie(response)?.value || undefined
      outcome.body = await response.text()
    }
    catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause
      outcome.error = cause?.code ?? String(error)
    }
    finally {
      target.pending.delete(outcome)
      outcome.answeredAfterKill = this.killed
    }
    this.outcomes.push(outcome)
    return outcome
  }

  private async lifecycle(n: number): Promise<void> {
    const email = users[n % users.length]!
    const login = await this.send('login', this.pick(n), '/api/auth/login', { body: { email, password: PASSWORD } })
    if (login.error) return
    if (login.status !== 200 || !login.token) {
      this.violations.push(`login answered ${login.status} ${login.body} (token ${login.token ? 'set' : 'not set'})`)
      return
    }
    const session: Session = { token: login.token, email, state: 'active' }
    sessions.push(session)
    const cookie = `auth_session=${session.token}`

    const me = await this.send('me', this.pick(n + 1), '/api/auth/me', { cookie })
    if (me.error) return
    if (me.status !== 200) this.violations.push(`/me of a live session on ${me.server} answered ${me.status} ${me.body}`)

    const plan = n % 8
    if (plan === 0) return // kept: it must still be valid at the end
    if (plan === 1 || plan === 5) {
      // Two logouts of one cookie at once, on both servers while both are alive.
      const logouts = await Promise.all([this.pick(n), this.pick(n + 1)].map(t => this.send('logout', t, '/api/auth/logout', { method: 'POST', cookie })))
      const answered = logouts.filter(o => !o.error)
      const bad = answered.filter(o => o.status !== 200 || (o.body !== 'true' && o.body !== 'false'))
      const trues = answered.filter(o => o.body === 'true')
      if (bad.length) this.violations.push(`logout answered ${bad.map(o => `${o.status} ${o.body}`).join(', ')}`)
      else if (trues.length > 1) this.violations.push('two concurrent logouts of one session both answered true')
      else if (trues.length === 1) this.ended(session, trues[0]!)
      else if (answered.length === 2) this.violations.push('two concurrent logouts of a live session both answered false')
      else session.state = 'unknown' // the one that could have said true got no answer
    }
    else {
      const logout = await this.send('logout', this.pick(n >> 1), '/api/auth/logout', { method: 'POST', cookie })
      if (logout.error) session.state = 'unknown'
      else if (logout.status === 200 && logout.body === 'true') this.ended(session, logout)
      else this.violations.push(`logout of a live session on ${logout.server} answered ${logout.status} ${logout.body}`)
    }
    if (session.state !== 'ended') return

    const after = await this.send('me', this.pick((n >> 1) + 1), '/api/auth/me', { cookie })
    if (!after.error && after.status !== 401) this.violations.push(`/me after a logout answered true, on ${after.server}, answered ${after.status}`)
  }

  private ended(session: Session, outcome: Outcome): void {
    session.state = 'ended'
    session.endedBy = outcome.server
  }
}

function target(name: string, server: TestServer): Target {
  return { name, server, pending: new Set() }
}

/** What no answer, from any server, may be: a 5xx, or anything that mentions SQLite's lock. */
function expectNoServerErrors(load: Load) {
  const answered = load.outcomes.filter(o => !o.error)
  expect(answered.filter(o => o.status! >= 500).map(o => `${o.kind} on ${o.server}: ${o.status} ${o.body}`)).toEqual([])
  expect(answered.filter(o => BUSY.test(o.body ?? '')).map(o => `${o.kind} on ${o.server}: ${o.body}`)).toEqual([])
  expect(load.violations).toEqual([])
}

function expectCleanLogs(server: TestServer) {
  expect(server.logs()).not.toMatch(BUSY)
  expect(server.logs()).not.toMatch(API_FAILURE_LOG)
}

/** Resolves once the process is gone (reaped), so it holds no lock on the file any more. */
async function exited(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0)
    }
    catch {
      return
    }
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

/** Every session's fate, as a server and the file itself tell it. */
async function expectAcknowledgedWritesHold(server: TestServer) {
  const db = openDatabase(dbPath)
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    const row = db.prepare('select 1 from session where id = ?')
    const ended = sessions.filter(s => s.state === 'ended')
    const active = sessions.filter(s => s.state === 'active')
    expect(ended.filter(s => row.get(sha256Hex(s.token)) !== undefined).map(s => s.token)).toEqual([])
    expect(active.filter(s => row.get(sha256Hex(s.token)) === undefined).map(s => s.token)).toEqual([])
  }
  finally {
    db.close()
  }

  const wrong: string[] = []
  const queue = sessions.filter(s => s.state !== 'unknown')
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let session = queue.pop(); session; session = queue.pop()) {
      const response = await call(server.url, '/api/auth/me', { cookie: `auth_session=${session.token}` })
      const expected = session.state === 'ended' ? 401 : 200
      if (response.status !== expected) wrong.push(`${session.state} session: /me answered ${response.status}, not ${expected}`)
      await response.body?.cancel()
    }
  }))
  expect(wrong).toEqual([])
}

describe('two server processes on one SQLite file', () => {
  it('serves concurrent logins, /me and logouts spread over both with no SQLITE_BUSY reaching a client', async () => {
    const load = new Load([target('a', a), target('b', b)])
    await load.run(CONCURRENCY, ROUNDS)

    expect(load.count(o => o.error !== undefined)).toBe(0)
    expectNoServerErrors(load)
    // The traffic really was mixed, and spread over both processes.
    for (const server of ['a', 'b']) {
      expect(load.count(o => o.server === server && o.kind === 'login' && o.status === 200)).toBeGreaterThanOrEqual(CONCURRENCY * ROUNDS / 4)
      expect(load.count(o => o.server === server && o.kind === 'logout' && o.body === 'true')).toBeGreaterThanOrEqual(CONCURRENCY * ROUNDS / 8)
      expect(load.count(o => o.server === server && o.kind === 'me' && o.status === 401)).toBeGreaterThanOrEqual(CONCURRENCY * ROUNDS / 8)
    }
    expectCleanLogs(a)
    expectCleanLogs(b)
    await expectAcknowledgedWritesHold(a)
  })

  it('loses no acknowledged login or logout when one is killed with SIGKILL mid-load, and the file stays sound', async () => {
    const targetA = target('a', a)
    const targetB = target('b', b)
    const load = new Load([targetA, targetB])
    const sessionsBefore = sessions.length
    const running = load.run(CONCURRENCY)

    const pendingKinds = () => [...targetB.pending].map(o => o.kind)
    const trueLogouts = (filter: (o: Outcome) => boolean) => load.count(o => o.kind === 'logout' && o.body === 'true' && filter(o))
    // Both servers busy for a while, then B killed with a login and a logout (writes) in flight.
    await load.until(
      `${TRUE_LOGOUTS_EACH_SIDE} logouts answered true, then ${MIN_IN_FLIGHT_AT_KILL} requests to B in flight, a login and a logout among them`,
      () => trueLogouts(() => true) >= TRUE_LOGOUTS_EACH_SIDE
        && pendingKinds().length >= MIN_IN_FLIGHT_AT_KILL && pendingKinds().includes('login') && pendingKinds().includes('logout'),
    )
    const inFlightAtKill = pendingKinds()
    load.kill(targetB)
    process.kill(b.pid, 'SIGKILL')
    // The survivor carries on alone.
    await load.until(`${TRUE_LOGOUTS_EACH_SIDE} logouts answered true by A after the kill`, () => trueLogouts(o => o.server === 'a' && o.answeredAfterKill) >= TRUE_LOGOUTS_EACH_SIDE)
    load.stop()
    await running
    await exited(b.pid)

    const figures = {
      requests: Object.fromEntries((['login', 'me', 'logout'] as const).map(kind => [kind, load.count(o => o.kind === kind)])),
      trueLogoutsBeforeKill: trueLogouts(o => !o.answeredAfterKill),
      trueLogoutsAfterKill: trueLogouts(o => o.answeredAfterKill),
      inFlightAtKill: Object.fromEntries((['login', 'me', 'logout'] as const).map(kind => [kind, inFlightAtKill.filter(k => k === kind).length])),
      unansweredByVictim: load.count(o => o.error !== undefined),
      sessions: sessions.length - sessionsBefore,
      /** Sessions whose logout the victim answered `true` before it died: those must stay ended. */
      endedByVictim: sessions.slice(sessionsBefore).filter(s => s.endedBy === 'b').length,
      /** Logged in and kept, or left by a logout the victim never answered: must still be valid. */
      active: sessions.slice(sessionsBefore).filter(s => s.state === 'active').length,
      /** A logout only the victim got and never answered: either outcome is right. */
      unknown: sessions.slice(sessionsBefore).filter(s => s.state === 'unknown').length,
    }
    console.log('[sqlite-processes] kill figures:', JSON.stringify(figures))

    expect(inFlightAtKill.length).toBeGreaterThanOrEqual(MIN_IN_FLIGHT_AT_KILL)
    // Requests were really cut by the kill, and only those: none to the survivor went unanswered.
    expect(figures.unansweredByVictim).toBeGreaterThan(0)
    expect(load.outcomes.filter(o => o.error && (o.server !== 'b' || !o.answeredAfterKill)).map(o => `${o.kind} on ${o.server}: ${o.error}`)).toEqual([])
    expectNoServerErrors(load)
    expect(figures.trueLogoutsBeforeKill).toBeGreaterThanOrEqual(TRUE_LOGOUTS_EACH_SIDE)
    expect(figures.endedByVictim).toBeGreaterThan(0)
    expectCleanLogs(a)
    expectCleanLogs(b)

    // The survivor and the file agree with every answer either server gave.
    await expectAcknowledgedWritesHold(a)
  })

  it('starts a new server on the file after every process on it was killed, with every acknowledged write in place', async () => {
    // Kill the survivor too: the next process to open the file is the first, and recovers the
    // WAL the dead ones left behind.
    process.kill(a.pid, 'SIGKILL')
    await exited(a.pid)
    expect(committedWalFrames(dbPath), 'committed frames left in the WAL for the next process').toBeGreaterThan(0)

    c = await startServer({ ...SERVER_ENV, DATABASE_URL: dbPath })
    await expectAcknowledgedWritesHold(c)

    const { cookie } = await signUpUser(c.url)
    expect((await call(c.url, '/api/auth/me', { cookie })).status).toBe(200)
    const logout = await call(c.url, '/api/auth/logout', { method: 'POST', cookie })
    expect(logout.status).toBe(200)
    expect(await logout.json()).toBe(true)
    expectCleanLogs(c)
  })
})

/**
 * How many committed frames the WAL a killed process left behind holds: read from a copy (the
 * database and its WAL, not the index), whose first connection rebuilds the index from the WAL
 * as the next server will, without touching the files that server will open.
 */
function committedWalFrames(path: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'auth-wal-copy-'))
  try {
    copyFileSync(path, join(dir, 'app.db'))
    if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, join(dir, 'app.db-wal'))
    const copy = openDatabase(join(dir, 'app.db'))
    const [result] = copy.pragma('wal_checkpoint(PASSIVE)') as { log: number }[]
    copy.close()
    return result!.log
  }
  finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
