// What is measured, and the checks that make each figure mean what it says.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSqliteSeeder } from './database.mjs'
import { httpRequest, measureColdStart, startServer } from './server.mjs'
import { benchToken } from './tokens.mjs'

export const AUTH_ENTRY = '.output/server/index.mjs'
export const BARE_ENTRY = 'bench/bare-app/.output/server/index.mjs'

const HEALTH = { method: 'GET', path: '/api/health' }
const LOGOUT = { method: 'POST', path: '/api/auth/logout' }
const SIGNUP = { method: 'POST', path: '/api/auth/signup' }
const LOGIN = { method: 'POST', path: '/api/auth/login' }
const ME = { method: 'GET', path: '/api/auth/me' }
const BENCH_PASSWORD = 'bench password, long enough'
const WARMUP_SECONDS = 2

const newSeed = () => randomBytes(6).toString('hex')

/**
 * Runs the throughput and table-size benchmarks against one auth server on `databaseUrl`.
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

      log('throughput: baseline')
      const baseline = await load.run(job(HEALTH, { duration: config.duration }))
      expectOutcomes('baseline', baseline, '200 true')

      // A short run first, to size the real one: enough distinct sessions for about `duration`
      // seconds at the rate logouts actually go (seeding for the baseline's rate would make a
      // slow backend run for minutes).
      const { result: probe } = await endSessions({ load, job, seeder, count: config.connections * 200, name: 'logout (rate probe)' })
      const sessions = Math.max(config.connections * 200, Math.round(probe.rps * config.duration))
      log(`throughput: logout, ${sessions} sessions each ended once`)
      const { seed, result: valid } = await endSessions({ load, job, seeder, count: sessions, name: 'logout (valid session)' })

      log('throughput: logout with spent cookies')
      const spent = await load.run(job(LOGOUT, { duration: config.duration, cookies: { seed, from: 0, count: sessions } }))
      expectOutcomes('logout (spent cookie)', spent, '200 false')

      log('throughput: logout without a cookie')
      const noCookie = await load.run(job(LOGOUT, { duration: config.duration }))
      expectOutcomes('logout (no cookie)', noCookie, '401 error')

      const endpoints = await benchOtherEndpoints({ load, job, server, seeder, config, log })
      const tableSizes = await benchTableSizes({ load, config, server, seeder, log })
      return {
        throughput: { sessions, baseline, valid, spent, noCookie, ...endpoints },
        tableSizes,
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
 */

/**
 * Seeds `count` sessions and ends each with one logout; fails unless every answer was
 * `200 true` and the table lost exactly `count` rows.
 */
async function endSessions({ load, job, seeder, count, name }) {
  const seed = newSeed()
  await seeder.insertSessions({ tokens: { seed, count } })
  const before = await seeder.countSessions()
  const result = await load.run(job(LOGOUT, { amount: count, cookies: { seed, from: 0, count } }))
  expectOutcomes(name, result, '200 true', count)
  const deleted = before - await seeder.countSessions()
  if (deleted !== count) throw new Error(`${name}: ${count} responses \`true\` but ${deleted} rows deleted`)
  return { seed, result }
}

/**
 * The other endpoints a visitor hits: sign-up (a new address each time), log-in (one account,
 * right password) and `GET /api/auth/me` (one seeded session). Sign-up and log-in hash or check
 * an argon2id password, which is most of their time; they are here to show what the rest of
 * their work (the session row, the security-event row) adds to that.
 */
async function benchOtherEndpoints({ load, job, server, seeder, config, log }) {
  log('throughput: signup')
  const signup = await load.run(job(SIGNUP, { duration: config.duration, credentials: { seed: newSeed(), password: BENCH_PASSWORD } }))
  expectOutcomes('signup', signup, '201 user')

  const email = `bench-login-${newSeed()}@example.com`
  const created = await httpRequest(new URL(SIGNUP.path, server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: BENCH_PASSWORD }),
  })
  if (created.status !== 201) throw new Error(`signup for the login run: ${created.status} ${created.body}`)
  log('throughput: login')
  const login = await load.run(job(LOGIN, { duration: config.duration, credentials: { email, password: BENCH_PASSWORD } }))
  expectOutcomes('login', login, '200 user')

  log('throughput: login, refused (429)')
  // One more failure than the default limit locks the address out.
  const wrong = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'wrong password' }) }
  for (let i = 0; i <= 10; i++) await httpRequest(new URL(LOGIN.path, server.url), wrong)
  const loginRefused = await load.run(job(LOGIN, { duration: config.duration, credentials: { email, password: BENCH_PASSWORD } }))
  expectOutcomes('login (refused)', loginRefused, '429 error')

  const seed = newSeed()
  await seeder.insertSessions({ tokens: { seed, count: 1 } })
  log('throughput: me')
  const me = await load.run(job(ME, { duration: config.duration, cookies: { seed, from: 0, count: 1 } }))
  expectOutcomes('me', me, '200 user')
  return { signup, login, loginRefused, me }
}

/**
 * Logout latency as the table grows: one connection (so the figures are the server's own time
 * per request, not queueing) sends `latencyRequests` logouts, each ending a different session.
 * Before each run the table is topped up so that it holds `size` sessions plus the ones the run
 * ends; it holds exactly `size` after.
 */
async function benchTableSizes({ load, config, server, seeder, log }) {
  const count = config.latencyRequests
  const job = (request, options) => ({ url: server.url, ...request, connections: 1, amount: count, ...options })
  log(`latency: baseline, ${count} requests on one connection`)
  const baseline = await load.run(job(HEALTH))
  expectOutcomes('latency baseline', baseline, '200 true', count)
  const runs = []
  for (const size of config.sizes) {
    const seed = newSeed()
    const fillers = Math.max(0, size - await seeder.countSessions())
    log(`latency: seeding ${fillers + count} sessions (table of ${size} + ${count})`)
    await seeder.insertSessions({ tokens: { seed, count }, fillers })
    const result = await load.run(job(LOGOUT, { cookies: { seed, from: 0, count } }))
    expectOutcomes(`logout with ${size} sessions`, result, '200 true', count)
    runs.push({ size, rowsAfter: await seeder.countSessions(), ...result })
  }
  return { baseline, runs }
}

/**
 * Cold start, the auth app against the bare app, spawned alternately so that drift on the
 * machine hits both alike, after one untimed start of each. The auth app starts on a SQLite
 * file created (and migrated) by an earlier start and seeded with one session per start: the
 * case of a server restarting on its database. Each start ends when a logout with its own
 * session answers `200 true`; the bare app's when its route answers.
 */
export async function benchColdStart({ config, log }) {
  const dir = mkdtempSync(join(tmpdir(), 'auth-bench-cold-'))
  try {
    return await coldStarts({ config, log, databaseUrl: join(dir, 'app.db') })
  }
  finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function coldStarts({ config, log, databaseUrl }) {
  const first = await startServer(AUTH_ENTRY, { DATABASE_URL: databaseUrl })
  try {
    await expectResponse(first.url, LOGOUT, benchToken('unknown', 0), 200, 'false')
  }
  finally {
    await first.stop()
  }
  const seed = newSeed()
  const seeder = await openSqliteSeeder(databaseUrl)
  await seeder.insertSessions({ tokens: { seed, count: config.coldRuns + 1 } })
  await seeder.close()

  const bare = () => measureColdStart(BARE_ENTRY, {}, { path: '/api/ping', ok: r => r.status === 200 && r.body === 'true' })
  const auth = i => measureColdStart(AUTH_ENTRY, { DATABASE_URL: databaseUrl }, {
    ...LOGOUT,
    headers: { cookie: `auth_session=${benchToken(seed, i)}` },
    ok: r => r.status === 200 && r.body === 'true',
  })
  await bare()
  await auth(config.coldRuns)
  const times = { bare: [], auth: [] }
  for (let i = 0; i < config.coldRuns; i++) {
    log(`cold start ${i + 1}/${config.coldRuns}`)
    times.bare.push(await bare())
    times.auth.push(await auth(i))
  }
  return { bare: spread(times.bare), auth: spread(times.auth) }
}

/** The bare app under the baseline's load, for its requests/s and its memory after it. */
export async function benchBareApp({ load, config }) {
  const server = await startServer(BARE_ENTRY)
  try {
    const job = { url: server.url, method: 'GET', path: '/api/ping', connections: config.connections }
    await load.run({ ...job, duration: WARMUP_SECONDS })
    const result = await load.run({ ...job, duration: config.duration })
    expectOutcomes('bare app', result, '200 true')
    return { ...result, rssBytes: server.rssBytes() }
  }
  finally {
    await server.stop()
  }
}

function spread(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length / 2
  const median = sorted.length % 2 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2
  return { median, min: sorted[0], max: sorted.at(-1), runs: values }
}

/** Fails the benchmark unless every response was `expected` (and, given `count`, that many). */
function expectOutcomes(name, result, expected, count) {
  const unexpected = Object.keys(result.outcomes).filter(key => key !== expected)
  const matching = result.outcomes[expected] ?? 0
  if (unexpected.length || result.errors || (count !== undefined && matching !== count)) {
    throw new Error(`${name}: expected ${count ?? 'every'} response(s) \`${expected}\`, got ${JSON.stringify(result.outcomes)}, ${result.errors} connection error(s)`)
  }
}

async function expectResponse(url, request, token, status, body) {
  const response = await httpRequest(new URL(request.path, url), { method: request.method, headers: { cookie: `auth_session=${token}` } })
  if (response.status !== status || response.body !== body) {
    throw new Error(`${request.method} ${request.path}: expected ${status} ${body}, got ${response.status} ${response.body}`)
  }
}
