// `node bench/ab.mjs A B`: two servers measured alternately in one script, for a change too
// small to tell apart across two runs of `npm run bench` on a shared VM (docs/benchmarks.md).
// A and B are server entries (`.output/server/index.mjs` of two builds, copied aside), or the
// same entry twice with AB_ENV_A / AB_ENV_B (JSON) giving each its own environment. Both run
// side by side, each on a SQLite file of its own holding AB_ROWS sessions. Each round measures a
// GET /api/health baseline and then the route on each server in turn, A first in even rounds
// and B first in odd ones. What to read is the median of the per-round B/A ratios.
//
//   AB_ROUTE   logout (default: BENCH_LOGOUTS logouts a round, each a different session), me
//              (BENCH_DURATION seconds of GET /api/auth/me over a pool of BENCH_ME_POOL) or page
//              (BENCH_DURATION seconds of the signed-in `/`, one session, as `npm run bench`)
//   AB_ROWS    sessions in each table (default 1000); AB_ROUNDS (default 6)
//   BENCH_CONNECTIONS, BENCH_DURATION, BENCH_LOGOUTS, BENCH_ME_POOL as for `npm run bench`
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { openSqliteSeeder } from './database.mjs'
import { startLoadGenerator } from './load-client.mjs'
import { startServer } from './server.mjs'
import { benchToken } from './tokens.mjs'
import { HEALTH, LOGOUT, ME, PAGE_EMAIL, endSessions, expectOutcomes, expectResponse, newSeed, signUp, spread, withServerCpu } from './suite.mjs'

const env = process.env
const entries = process.argv.slice(2, 4)
if (entries.length !== 2) {
  console.error('usage: node bench/ab.mjs <server entry A> <server entry B>  (see the top of bench/ab.mjs)')
  process.exit(2)
}
const config = {
  route: env.AB_ROUTE || 'logout',
  rows: Number(env.AB_ROWS || 1000),
  rounds: Number(env.AB_ROUNDS || 6),
  connections: Number(env.BENCH_CONNECTIONS || 50),
  duration: Number(env.BENCH_DURATION || 5),
  logouts: Number(env.BENCH_LOGOUTS || 20000),
  mePool: Number(env.BENCH_ME_POOL || 10000),
}
if (!['logout', 'me', 'page'].includes(config.route)) throw new Error(`AB_ROUTE must be logout, me or page, not ${config.route}`)
const names = ['A', 'B']
const sideEnv = [JSON.parse(env.AB_ENV_A || '{}'), JSON.parse(env.AB_ENV_B || '{}')]

const dir = mkdtempSync(join(tmpdir(), 'auth-bench-ab-'))
const load = startLoadGenerator()
const sides = []
try {
  for (const [i, entry] of entries.entries()) {
    const file = join(dir, `${names[i]}.db`)
    const server = await startServer(resolve(entry), { DATABASE_URL: file, ...sideEnv[i] })
    const side = { name: names[i], server, rounds: [] }
    sides.push(side)
    await expectResponse(server.url, LOGOUT, benchToken('unknown', 0), 200, 'false')
    side.seeder = await openSqliteSeeder(file)
    const pool = side.pool = config.route === 'me' ? { seed: newSeed(), count: config.mePool } : undefined
    await side.seeder.insertSessions({ tokens: pool, fillers: Math.max(0, config.rows - (pool?.count ?? 0)) })
    const warmUp = (request, options) => load.run({ url: server.url, ...request, connections: config.connections, duration: 2, ...options })
    await warmUp(HEALTH)
    if (config.route === 'page') {
      side.pageRequest = { method: 'GET', path: '/', headers: { cookie: await signUp(server.url, PAGE_EMAIL) } }
      await warmUp(side.pageRequest)
    }
    else if (config.route === 'me') await warmUp(ME, { cookies: { ...pool, from: 0 } })
    else await warmUp(LOGOUT, { cookies: { seed: newSeed(), from: 0, count: 1e5 } })
  }

  // /me's pool is part of the table: a pool larger than AB_ROWS makes the table that size.
  const tableRows = config.route === 'me' ? Math.max(config.rows, config.mePool) : config.rows
  console.log(`${config.route}, ${tableRows} sessions, ${config.connections} connections, ${config.rounds} rounds`)
  for (const [i, entry] of entries.entries()) console.log(`  ${names[i]}: ${entry} ${JSON.stringify(sideEnv[i])}`)
  for (let round = 0; round < config.rounds; round++) {
    for (const side of round % 2 ? [sides[1], sides[0]] : sides) side.rounds.push(await measureRound(side))
    const [a, b] = sides.map(side => side.rounds.at(-1))
    console.log(`round ${round + 1}: ${[a, b].map((r, i) => `${names[i]} ${describe(r)}`).join(' | ')} | B/A ${(b.share / a.share).toFixed(2)}`)
  }
  for (const side of sides) {
    console.log(`${side.name}: share ${line(side.rounds.map(r => r.share))}, req/s ${spread(side.rounds.map(r => r.rps)).median.toFixed(0)}, main µs ${spread(side.rounds.map(r => r.mainMicros)).median.toFixed(1)}, all µs ${spread(side.rounds.map(r => r.totalMicros)).median.toFixed(1)}, busy ${spread(side.rounds.map(r => r.mainBusy)).median.toFixed(2)}`)
  }
  const [a, b] = sides.map(side => side.rounds)
  console.log(`B/A by round: share ${line(a.map((r, i) => b[i].share / r.share))}, req/s ${line(a.map((r, i) => b[i].rps / r.rps))}, main µs ${line(a.map((r, i) => b[i].mainMicros / r.mainMicros))}`)
}
finally {
  for (const side of sides) {
    await side.seeder?.close()
    await side.server.stop()
  }
  load.close()
  rmSync(dir, { recursive: true, force: true })
}

/**
 * One round on one server: its baseline, then the route, every answer checked (and, for
 * logout, the rows deleted), as `npm run bench` measures a table-size figure.
 */
async function measureRound({ name, server, seeder, pool, pageRequest }) {
  const job = (request, options) => ({ url: server.url, ...request, connections: config.connections, ...options })
  const baseline = await withServerCpu(server, () => load.run(job(HEALTH, { duration: config.duration })))
  expectOutcomes(`${name} baseline`, baseline, '200 true')
  if (config.route === 'logout') {
    const { result } = await endSessions({ load, job, seeder, server, count: config.logouts, fillers: 0, name: `${name} logout` })
    return figures(baseline, result)
  }
  if (config.route === 'page') {
    const result = await withServerCpu(server, () => load.run(job(pageRequest, { duration: config.duration })))
    expectOutcomes(`${name} page`, result, '200 page')
    return figures(baseline, result)
  }
  const me = await withServerCpu(server, () => load.run(job(ME, { duration: config.duration, cookies: { ...pool, from: 0 } })))
  expectOutcomes(`${name} me`, me, '200 user')
  return figures(baseline, me)
}

/** A round's figures: the route's share of its own baseline, and what the server spent on it. */
function figures(baseline, route) {
  return {
    share: route.rps / baseline.rps,
    rps: route.rps,
    mainMicros: route.cpu.mainMicros,
    totalMicros: route.cpu.totalMicros,
    mainBusy: route.cpu.mainBusy,
    loadMicros: route.loadMicros,
    steal: Math.max(baseline.cpu.steal, route.cpu.steal),
  }
}

/** A median with its range. */
function line(values) {
  const { median, min, max } = spread(values)
  return `${median.toFixed(2)} (${min.toFixed(2)}–${max.toFixed(2)})`
}

function describe(r) {
  return `${r.rps.toFixed(0)} req/s ${r.share.toFixed(2)}x, main ${r.mainMicros.toFixed(1)} µs, busy ${r.mainBusy.toFixed(2)}, load ${r.loadMicros.toFixed(1)} µs, steal ${(100 * r.steal).toFixed(0)}%`
}
