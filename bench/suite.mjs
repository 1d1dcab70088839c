// What is measured, and the checks that make each figure mean what it says.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSqliteSeeder } from './database.mjs'
import { httpRequest, machineTicks, measureColdStart, startServer } from './server.mjs'
import { benchToken } from './tokens.mjs'

export const AUTH_ENTRY = '.output/server/index.mjs'
export const BARE_ENTRY = 'bench/bare-app/.output/server/index.mjs'

export const HEALTH = { method: 'GET', path: '/api/health' }
export const LOGOUT = { method: 'POST', path: '/api/auth/logout' }
const SIGNUP = { method: 'POST', path: '/api/auth/signup' }
const LOGIN = { method: 'POST', path: '/api/auth/login' }
export const ME = { method: 'GET', path: '/api/auth/me' }
export const BENCH_PASSWORD = 'bench password, long enough'
export const PAGE_EMAIL = 'bench-page@example.com'
const WARMUP_SECONDS = 2

export const newSeed = () => randomBytes(6).toString('hex')

/**
 * Runs the table-size and throughput benchmarks against one auth server on `databaseUrl`.
 * `openSeeder` opens the benchmark's own connection to that database once the server has
 * created the tables.
 */
export async function benchBackend({ load, config, databaseUrl, openSeeder, log }) {
  const server = await startServer(AUTH_ENTRY, { DATABASE_URL: databaseUrl })
  const job = (request, options) => ({ url: server.url, ...request, connections: config.connections, ...options })
  try {
    // A logout with an unknown (well-formed) token answers `false` once the store is open and
    // migrated; it also warms up the logout path before anything is measured.
    await expectResponse(server.url, LOGOUT, benchToken('unknown', 0), 200, 'false')
    const seeder = await openSeeder()
    try {
      await load.run(job(HEALTH, { duration: WARMUP_SECONDS }))
      await load.run(job(LOGOUT, { duration: WARMUP_SECONDS, cookies: { seed: newSeed(), from: 0, count: 1e6 } }))

      const tableSizes = await benchTableSizes({ load, job, config, seeder, log, server })

      log('throughput: baseline')
      const baseline = await load.run(job(HEALTH, { duration: config.duration }))
      expectOutcomes('baseline', baseline, '200 true')

      log('throughput: logout with spent cookies')
      const { seed, count } = tableSizes.spentCookies
      const spent = await load.run(job(LOGOUT, { duration: config.duration, cookies: { seed, from: 0, count } }))
      expectOutcomes('logout (spent cookie)', spent, '200 false')

      log('throughput: logout without a cookie')
      const noCookie = await load.run(job(LOGOUT, { duration: config.duration }))
      expectOutcomes('logout (no cookie)', noCookie, '401 error')

      const endpoints = await benchOtherEndpoints({ load, job, server, config, log })
      return {
        throughput: { baseline, spent, noCookie, ...endpoints },
        tableSizes: tableSizes.runs,
        mePool: config.mePool,
        rssBytes: server.rssBytes(),
      }
    }
    finally {
      await seeder.close()
    }
  }
  finally {
    await server.stop()
  }
}

/**
 * Log-in: with the right password (the password hash dominates), then refused (429) once the
 * client's address is locked out, where the throttle's own lookups are most of the work. The
 * right password comes first: successes do not count against the address, failures would.
 * Sign-up and log-in hash or check an argon2id password, which is most of their time; they are
 * here to show what the rest of their work (the session row, the security-event row) adds.
 */
async function benchOtherEndpoints({ load, job, server, config, log }) {
  log('throughput: signup')
  const signup = await load.run(job(SIGNUP, { duration: config.duration, credentials: { seed: newSeed(), password: BENCH_PASSWORD } }))
  expectOutcomes('signup', signup, '201 user')

  const email = `bench-login-${newSeed()}@example.com`
  await signUp(server.url, email)
  log('throughput: login')
  // At most 10 connections: more would exceed the 10 attempts in flight allowed per address.
  const login = await load.run(job(LOGIN, { connections: Math.min(config.connections, 10), duration: config.duration, credentials: { email, password: BENCH_PASSWORD } }))
  expectOutcomes('login', login, '200 user')

  log('throughput: login, refused (429)')
  // An account of its own: the logins still in flight when the run above stopped succeed a
  // moment later and take their attempts back, which could lift a lockout of its email.
  const lockedEmail = `bench-locked-${newSeed()}@example.com`
  await signUp(server.url, lockedEmail)
  // One more failure than the default limit locks the email out.
  const wrong = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: lockedEmail, password: 'wrong password' }) }
  for (let i = 0; i <= 10; i++) await httpRequest(new URL(LOGIN.path, server.url), wrong)
  const loginRefused = await load.run(job(LOGIN, { duration: config.duration, credentials: { email: lockedEmail, password: BENCH_PASSWORD } }))
  expectOutcomes('login (refused)', loginRefused, '429 error')
  return { signup, login, loginRefused }
}

/**
 * Seeds `count` sessions and ends each with one logout; fails unless every answer was
 * `200 true` and the table lost exactly `count` rows.
 */
export async function endSessions({ load, job, seeder, server, count, fillers, name }) {
  const seed = newSeed()
  await seeder.insertSessions({ tokens: { seed, count }, fillers })
  const before = await seeder.countSessions()
  const result = await withServerCpu(server, () => load.run(job(LOGOUT, { amount: count, cookies: { seed, from: 0, count } })))
  expectOutcomes(name, result, '200 true', count)
  const deleted = before - await seeder.countSessions()
  if (deleted !== count) throw new Error(`${name}: ${count} responses \`true\` but ${deleted} rows deleted`)
  return { seed, rowsBefore: before, result }
}

/**
 * The session table at each size, all at `connections` connections. Each figure is measured in
 * `rounds` rounds, each a `GET /api/health` baseline and then the route, on the same server, so
 * that a ratio is taken against a baseline measured just before it and drift on the machine
 * shows as the spread of the rounds (summarized by `pairs`):
 * - logout: `logouts` requests a round, each ending a different session, the table topped up so
 *   that it holds `size` sessions plus the ones the round ends (exactly `size` after);
 * - at the smallest and the largest size, `GET /api/auth/me` for `duration` seconds a round,
 *   request n naming session n of a pool of `mePool` valid sessions (so each request of a run up
 *   to the pool's size validates a different one). The pool is seeded once, after the first
 *   size's logout rounds, and stays: the table holds `size` + `mePool` sessions for the first
 *   /me rounds. /me's rounds come after the size's logout rounds, each after its own baseline,
 *   so that none starts in the checkpoint that the last logouts' writes began.
 */
async function benchTableSizes({ load, job, config, seeder, log, server }) {
  const runs = []
  const meSizes = new Set([config.sizes[0], config.sizes.at(-1)])
  const pool = { seed: newSeed(), from: 0, count: config.mePool }
  let poolSeeded = false
  let spentCookies
  for (const size of config.sizes) {
    const baselineRun = async (round) => {
      const baseline = await withServerCpu(server, () => load.run(job(HEALTH, { duration: config.duration })))
      expectOutcomes(`baseline (${size}, round ${round})`, baseline, '200 true')
      return baseline
    }
    const logoutPairs = []
    let rowsBefore
    for (let round = 1; round <= config.rounds; round++) {
      const fillers = Math.max(0, size - await seeder.countSessions())
      log(`table of ${size}, round ${round}/${config.rounds}: baseline, then ${config.logouts} logouts (${fillers + config.logouts} sessions seeded)`)
      const baseline = await baselineRun(round)
      const ended = await endSessions({ load, job, seeder, server, count: config.logouts, fillers, name: `logout with ${size} sessions` })
      spentCookies ??= { seed: ended.seed, count: config.logouts }
      rowsBefore = ended.rowsBefore
      logoutPairs.push({ baseline, route: ended.result })
    }
    const run = { size, logout: { rowsBefore, ...pairs(logoutPairs) } }
    if (meSizes.has(size)) {
      if (!poolSeeded) {
        log(`seeding the /me pool of ${pool.count} sessions`)
        await seeder.insertSessions({ tokens: pool })
        poolSeeded = true
      }
      const rows = await seeder.countSessions()
      const mePairs = []
      for (let round = 1; round <= config.rounds; round++) {
        log(`table of ${size}, round ${round}/${config.rounds}: baseline, then GET /api/auth/me, pool of ${pool.count}`)
        const baseline = await baselineRun(round)
        const me = await withServerCpu(server, () => load.run(job(ME, { duration: config.duration, cookies: pool })))
        expectOutcomes(`me with ${size} sessions`, me, '200 user')
        mePairs.push({ baseline, route: me })
      }
      run.me = { rows, ...pairs(mePairs) }
    }
    runs.push(run)
  }
  return { runs, spentCookies }
}

/**
 * Rounds of (baseline, route) as one figure: the route's median req/s and latencies, the
 * baselines' median, and the route's share of its own round's baseline, by median and range.
 */
function pairs(rounds) {
  const median = values => spread(values).median
  return {
    rps: median(rounds.map(r => r.route.rps)),
    latency: { p50: median(rounds.map(r => r.route.latency.p50)), p99: median(rounds.map(r => r.route.latency.p99)) },
    baseline: {
      rps: median(rounds.map(r => r.baseline.rps)),
      latency: { p50: median(rounds.map(r => r.baseline.latency.p50)), p99: median(rounds.map(r => r.baseline.latency.p99)) },
    },
    share: spread(rounds.map(r => r.route.rps / r.baseline.rps)),
    cpu: {
      mainMicros: median(rounds.map(r => r.route.cpu.mainMicros)),
      totalMicros: median(rounds.map(r => r.route.cpu.totalMicros)),
      mainBusy: median(rounds.map(r => r.route.cpu.mainBusy)),
      steal: Math.max(...rounds.map(r => r.route.cpu.steal)),
      loadMicros: median(rounds.map(r => r.route.loadMicros)),
      baseline: {
        mainMicros: median(rounds.map(r => r.baseline.cpu.mainMicros)),
        totalMicros: median(rounds.map(r => r.baseline.cpu.totalMicros)),
        mainBusy: median(rounds.map(r => r.baseline.cpu.mainBusy)),
        steal: Math.max(...rounds.map(r => r.baseline.cpu.steal)),
        loadMicros: median(rounds.map(r => r.baseline.loadMicros)),
      },
      // What the route's share would be if the event loop alone bounded both: the baseline's
      // main-thread CPU per request over the route's, round by round.
      share: spread(rounds.map(r => r.baseline.cpu.mainMicros / r.route.cpu.mainMicros)),
    },
    rounds,
  }
}

/**
 * `run` (a load run), with the server's CPU time over it: µs per response on its main thread
 * and on all of its threads, and how busy the main thread was (1 = never idle). A server whose
 * event loop is not busy all the time is held back by something else: the load generator on
 * the other core, a wait on the disk, the answers of a batch held for its commit.
 */
export async function withServerCpu(server, run) {
  const before = server.cpuMicros()
  const machineBefore = machineTicks()
  const result = await run()
  const after = server.cpuMicros()
  const machineAfter = machineTicks()
  // From the first request to the last response: a run of so many requests ends a while after
  // its last response (autocannon's next tick), and the server is idle then.
  const wallMicros = result.elapsedSec * 1e6
  const responses = result.responses
  return {
    ...result,
    cpu: {
      mainMicros: (after.main - before.main) / responses,
      totalMicros: (after.total - before.total) / responses,
      mainBusy: (after.main - before.main) / wallMicros,
      steal: stealShare(machineBefore, machineAfter),
    },
  }
}

const stealShare = (before, after) => (after.steal - before.steal) / Math.max(1, after.total - before.total)

/**
 * Signed-in `/` of the auth app against `/` of the bare app, which renders the same markup
 * (captured from the auth app by `captureSignedInMarkup`, see bench/bare-app/app/pages/index.vue). Both
 * servers run side by side and are measured alternately, `pageRounds` times each, so that drift
 * on the machine hits both alike; the figures are the medians. RSS of each after its runs.
 */
export async function benchPages({ load, config, log }) {
  const dir = mkdtempSync(join(tmpdir(), 'auth-bench-pages-'))
  const auth = await startServer(AUTH_ENTRY, { DATABASE_URL: join(dir, 'app.db') })
  const bare = await startServer(BARE_ENTRY)
  try {
    const cookie = await signUp(auth.url, PAGE_EMAIL)
    const authMarkup = appMarkup((await httpRequest(new URL('/', auth.url), { headers: { cookie } })).body)
    const bareMarkup = appMarkup((await httpRequest(new URL('/', bare.url))).body)
    if (!authMarkup.includes(PAGE_EMAIL) || !bareMarkup.includes(authMarkup)) {
      throw new Error('the bare app\'s / does not render the signed-in markup of the auth app\'s /: rebuild it (no BENCH_SKIP_BUILD)')
    }
    const authJob = { url: auth.url, method: 'GET', path: '/', connections: config.connections, headers: { cookie } }
    const bareJob = { url: bare.url, method: 'GET', path: '/', connections: config.connections }
    await load.run({ ...authJob, duration: WARMUP_SECONDS })
    await load.run({ ...bareJob, duration: WARMUP_SECONDS })
    const runs = { auth: [], bare: [] }
    for (let i = 0; i < config.pageRounds; i++) {
      log(`pages: round ${i + 1}/${config.pageRounds}`)
      runs.auth.push(await withServerCpu(auth, () => load.run({ ...authJob, duration: config.duration })))
      runs.bare.push(await withServerCpu(bare, () => load.run({ ...bareJob, duration: config.duration })))
    }
    for (const result of runs.auth) expectOutcomes('signed-in /', result, '200 page')
    for (const result of runs.bare) expectOutcomes('bare /', result, '200 page')
    const summary = list => ({
      rps: spread(list.map(r => r.rps)).median,
      p50: spread(list.map(r => r.latency.p50)).median,
      cpu: {
        mainMicros: spread(list.map(r => r.cpu.mainMicros)).median,
        mainBusy: spread(list.map(r => r.cpu.mainBusy)).median,
        steal: Math.max(...list.map(r => r.cpu.steal)),
        loadMicros: spread(list.map(r => r.loadMicros)).median,
      },
      runs: list,
    })
    return {
      markupBytes: authMarkup.length,
      auth: { ...summary(runs.auth), rssBytes: auth.rssBytes() },
      bare: { ...summary(runs.bare), rssBytes: bare.rssBytes() },
    }
  }
  finally {
    await Promise.all([auth.stop(), bare.stop()])
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * The signed-in markup of the auth app's `/`, for the bare app to render: starts the built auth
 * app on a fresh SQLite file, signs up PAGE_EMAIL and returns what its `/` renders inside
 * `#__nuxt`.
 */
export async function captureSignedInMarkup() {
  const dir = mkdtempSync(join(tmpdir(), 'auth-bench-markup-'))
  const server = await startServer(AUTH_ENTRY, { DATABASE_URL: join(dir, 'app.db') })
  try {
    const cookie = await signUp(server.url, PAGE_EMAIL)
    return appMarkup((await httpRequest(new URL('/', server.url), { headers: { cookie } })).body)
  }
  finally {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** What a Nuxt page renders inside `<div id="__nuxt">`. */
function appMarkup(html) {
  const match = /<div id="__nuxt">([\s\S]*?)<\/div><div id="teleports">/.exec(html)
  if (!match) throw new Error(`no #__nuxt in the page: ${html.slice(0, 200)}`)
  return match[1]
}

/** Signs up `email` with the benchmark's password; resolves with the session cookie (`name=token`). */
export async function signUp(url, email) {
  const response = await httpRequest(new URL(SIGNUP.path, url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: BENCH_PASSWORD }),
  })
  if (response.status !== 201) throw new Error(`signup of ${email}: ${response.status} ${response.body}`)
  return response.cookies[0].split(';', 1)[0]
}

/**
 * Cold start, the auth app against the bare app, spawned alternately so that drift on the
 * machine hits both alike, after one untimed start of each. The auth app starts on a SQLite
 * file created (and migrated) by an earlier start and seeded with one session per start: the
 * case of a server restarting on its database. Each start ends when a logout with its own
 * session answers `200 true`; the bare app's when its route answers. `builds` names the auth
 * app's server entries to start (bench/cold-ab.mjs passes two), in turn after each bare start,
 * each on its own file; the result has a figure per name.
 */
export async function benchColdStart({ config, log, builds = { auth: AUTH_ENTRY } }) {
  const dir = mkdtempSync(join(tmpdir(), 'auth-bench-cold-'))
  try {
    const sides = []
    for (const [name, entry] of Object.entries(builds)) sides.push(await coldSide(name, entry, join(dir, `${name}.db`), config.coldRuns))
    const bare = () => measureColdStart(BARE_ENTRY, {}, { path: '/api/ping', ok: r => r.status === 200 && r.body === 'true' })
    await bare()
    for (const side of sides) await side.start(config.coldRuns)
    const times = { bare: [], ...Object.fromEntries(sides.map(side => [side.name, []])) }
    const machineBefore = machineTicks()
    for (let i = 0; i < config.coldRuns; i++) {
      log(`cold start ${i + 1}/${config.coldRuns}`)
      times.bare.push(await bare())
      // With two builds, each goes first in every other round.
      for (const side of i % 2 ? [...sides].reverse() : sides) times[side.name].push(await side.start(i))
    }
    const steal = stealShare(machineBefore, machineTicks())
    return { ...Object.fromEntries(Object.entries(times).map(([name, runs]) => [name, spread(runs)])), steal }
  }
  finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** An auth build's database, migrated by a first start and seeded; `start(i)` times start i. */
async function coldSide(name, entry, databaseUrl, runs) {
  const first = await startServer(entry, { DATABASE_URL: databaseUrl })
  try {
    await expectResponse(first.url, LOGOUT, benchToken('unknown', 0), 200, 'false')
  }
  finally {
    await first.stop()
  }
  const seed = newSeed()
  const seeder = await openSqliteSeeder(databaseUrl)
  await seeder.insertSessions({ tokens: { seed, count: runs + 1 } })
  await seeder.close()
  return {
    name,
    start: i => measureColdStart(entry, { DATABASE_URL: databaseUrl }, {
      ...LOGOUT,
      headers: { cookie: `auth_session=${benchToken(seed, i)}` },
      ok: r => r.status === 200 && r.body === 'true',
    }),
  }
}

export function spread(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length / 2
  const median = sorted.length % 2 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2
  return { median, min: sorted[0], max: sorted.at(-1), runs: values }
}

/** Fails the benchmark unless every response was `expected` (and, given `count`, that many). */
export function expectOutcomes(name, result, expected, count) {
  const unexpected = Object.keys(result.outcomes).filter(key => key !== expected)
  const matching = result.outcomes[expected] ?? 0
  if (unexpected.length || result.errors || (count !== undefined && matching !== count)) {
    throw new Error(`${name}: expected ${count ?? 'every'} response(s) \`${expected}\`, got ${JSON.stringify(result.outcomes)}, ${result.errors} connection error(s)`)
  }
}

export async function expectResponse(url, request, token, status, body) {
  const response = await httpRequest(new URL(request.path, url), { method: request.method, headers: { cookie: `auth_session=${token}` } })
  if (response.status !== status || response.body !== body) {
    throw new Error(`${request.method} ${request.path}: expected ${status} ${body}, got ${response.status} ${response.body}`)
  }
}
