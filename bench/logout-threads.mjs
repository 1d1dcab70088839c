// Where a logout's server time goes as the session table grows, thread by thread: for each
// thread of the built server (the event loop, the SQLite checkpoint worker, V8's helpers), its
// CPU time (user and system) and its I/O per logout (system calls that read and write, bytes
// read and written through them, bytes sent to the disk), from /proc (Linux), over runs of
// BENCH_LOGOUTS logouts at 50 connections, each ending a different session, as `npm run bench`
// sends them. `node bench/logout-threads.mjs [server entry]` (default: this checkout's build);
// BENCH_SIZES=1000,1000000, BENCH_ROUNDS=3. See docs/benchmarks.md.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { openSqliteSeeder } from './database.mjs'
import { startLoadGenerator } from './load-client.mjs'
import { ioCounters, microsPerTick, startServer, threadTicks } from './server.mjs'
import { AUTH_ENTRY, LOGOUT, endSessions, newSeed } from './suite.mjs'

const env = process.env
const entry = resolve(process.argv[2] ?? AUTH_ENTRY)
const sizes = (env.BENCH_SIZES || '1000,1000000').split(',').map(Number)
const rounds = Number(env.BENCH_ROUNDS || 3)
const logouts = Number(env.BENCH_LOGOUTS || 20000)
const connections = Number(env.BENCH_CONNECTIONS || 50)
/** The kernel counts CPU time in clock ticks (10 ms here); a thread below this many µs a logout is left out. */
const SHOWN_FROM_MICROS = 1
const TICK_MICROS = microsPerTick()

const load = startLoadGenerator()
try {
  for (const size of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'auth-bench-threads-'))
    const file = join(dir, 'app.db')
    const server = await startServer(entry, { DATABASE_URL: file })
    try {
      const job = (request, options) => ({ url: server.url, ...request, connections, ...options })
      // Warm-up, on sessions that do not exist: every handler loaded and compiled.
      await load.run(job(LOGOUT, { duration: 2, cookies: { seed: newSeed(), from: 0, count: 1e5 } }))
      const seeder = await openSqliteSeeder(file)
      try {
        await seeder.insertSessions({ fillers: size })
        for (let round = 1; round <= rounds; round++) {
          const before = threadsOf(server.pid)
          const { result } = await endSessions({ load, job, seeder, server, count: logouts, fillers: 0, name: `logout with ${size} sessions` })
          const rows = perResponse(before, threadsOf(server.pid), result.responses)
          console.log(`${size} sessions, round ${round}/${rounds}: ${result.rps.toFixed(0)} req/s, p50 ${result.latency.p50.toFixed(2)} ms`)
          console.table(rows)
        }
      }
      finally {
        await seeder.close()
      }
    }
    finally {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
finally {
  load.close()
}

/** Each thread's counters now: CPU ticks from `stat`, I/O from `io`, by thread id and name. */
function threadsOf(pid) {
  const threads = {}
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const task = `/proc/${pid}/task/${tid}`
    threads[tid] = { name: readFileSync(`${task}/comm`, 'utf8').trim(), ...threadTicks(pid, tid), ...ioCounters(`${task}/io`) }
  }
  return threads
}

function perResponse(before, after, responses) {
  const rows = []
  for (const [tid, now] of Object.entries(after)) {
    const then = before[tid]
    if (!then) continue
    const per = key => (now[key] - then[key]) / responses
    const cpu = (per('user') + per('system')) * TICK_MICROS
    if (cpu < SHOWN_FROM_MICROS && per('syscw') === 0) continue
    rows.push({
      'thread': `${now.name} (${tid})`,
      'CPU µs': round(cpu),
      'user µs': round(per('user') * TICK_MICROS),
      'reads': round(per('syscr'), 2),
      'writes': round(per('syscw'), 2),
      'read KB': round(per('rchar') / 1024, 2),
      'written KB': round(per('wchar') / 1024, 2),
      'to disk KB': round(per('write_bytes') / 1024, 2),
    })
  }
  return rows
}

function round(value, digits = 1) {
  return Number(value.toFixed(digits))
}
