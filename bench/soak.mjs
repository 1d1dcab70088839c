// `npm run bench:soak`: the production server under steady mixed traffic for 10 minutes (not part
// of `npm test`). Requests go out at a fixed rate whatever the server does (open loop), so a
// server that slows down shows as latency, not as less traffic. Every 10 s it records req/s,
// p99, the server's RSS and the SQLite WAL's size; it fails (exit 1) on any 5xx, connection
// error or unexpected answer. Writes bench/results/soak.json and the plot docs/soak.svg.
// See docs/benchmarks.md ("Sustained load").
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { startServer } from './server.mjs'
import { AUTH_ENTRY } from './suite.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
process.chdir(root)

const env = process.env
const SECONDS = Number(env.BENCH_SOAK_SECONDS || 600)
const WARMUP_SECONDS = Number(env.BENCH_SOAK_WARMUP || 60)
const WINDOW_SECONDS = 10
/** Requests per second of each kind; BENCH_SOAK_SCALE multiplies the cheap ones. */
const SCALE = Number(env.BENCH_SOAK_SCALE || 1)
const MIX = {
  // Each sign-up and log-in hashes or checks an argon2id password (tens of ms of CPU).
  signup: 1,
  login: 1,
  // As many logouts as sessions are made, so the pool of signed-in clients stays the same size.
  logout: 2,
  me: 100 * SCALE,
  page: 20 * SCALE,
  sessions: 10 * SCALE,
}
const PASSWORD = 'soak password, long enough'
const log = message => console.error(`[soak] ${message}`)
let accounts = 0

/**
 * One request over the shared keep-alive agent: `{ status, cookie, body }`. A request sent on a
 * kept-alive socket just as the server closed it for idleness (its keep-alive timeout) fails
 * with ECONNRESET before the server saw it; it is sent again once, as Node's documentation
 * advises (`request.reusedSocket`) and browsers do.
 */
async function send(method, path, options = {}) {
  try {
    return await sendOnce(method, path, options)
  }
  catch (error) {
    if (error.code !== 'ECONNRESET' || !error.reusedSocket) throw error
    return sendOnce(method, path, options)
  }
}

function sendOnce(method, path, { cookie, body } = {}) {
  return new Promise((resolve, reject) => {
    const headers = { ...(cookie && { cookie }), ...(body && { 'content-type': 'application/json' }) }
    const req = request(new URL(path, server.url), { method, headers, agent }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', chunk => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode, cookie: res.headers['set-cookie']?.[0]?.split(';', 1)[0], body: text }))
    })
    req.on('error', error => reject(Object.assign(error, { reusedSocket: req.reusedSocket })))
    req.end(body && JSON.stringify(body))
  })
}

async function signUp() {
  const email = `soak-${accounts++}@example.com`
  const response = await send('POST', '/api/auth/signup', { body: { email, password: PASSWORD } })
  return { ok: response.status === 201, response, client: { email, cookie: response.cookie } }
}

async function signInClients(count) {
  const clients = []
  for (let i = 0; i < count; i++) {
    const { ok, response, client } = await signUp()
    if (!ok) throw new Error(`signup: ${response.status} ${response.body}`)
    clients.push(client)
  }
  return clients
}

/**
 * What each kind of request does and what counts as its right answer. Sign-ups and log-ins add a
 * signed-in client to the pool, logouts take one out (and must answer `true`: each client's
 * session is ended once).
 */
function requestOf(kind, clients) {
  const any = () => clients[Math.floor(Math.random() * clients.length)]
  // A client's requests in flight, so that a logout never races its own /me (which would
  // rightly answer 401): logout takes a client with none, and takes it out of the pool first.
  const using = async (client, work) => {
    client.inFlight = (client.inFlight ?? 0) + 1
    try {
      return await work(client)
    }
    finally {
      client.inFlight--
    }
  }
  switch (kind) {
    case 'signup':
      return async () => {
        const { ok, response, client } = await signUp()
        if (ok) clients.push(client)
        return { ok, response }
      }
    case 'login':
      return async () => {
        const { email } = any()
        const response = await send('POST', '/api/auth/login', { body: { email, password: PASSWORD } })
        const ok = response.status === 200
        if (ok) clients.push({ email, cookie: response.cookie })
        return { ok, response }
      }
    case 'logout':
      return async () => {
        // Never the last few: the other requests need signed-in clients.
        const idle = clients.findIndex(client => !client.inFlight)
        if (clients.length < 10 || idle === -1) return { ok: true, skipped: true }
        const [client] = clients.splice(idle, 1)
        const response = await send('POST', '/api/auth/logout', { cookie: client.cookie })
        return { ok: response.status === 200 && response.body === 'true', response }
      }
    case 'me':
      return async () => {
        const response = await using(any(), client => send('GET', '/api/auth/me', { cookie: client.cookie }))
        return { ok: response.status === 200, response }
      }
    case 'page':
      return async () => {
        const response = await using(any(), client => send('GET', '/', { cookie: client.cookie }))
        return { ok: response.status === 200 && response.body.includes('Signed in as'), response }
      }
    case 'sessions':
      return async () => {
        const response = await using(any(), client => send('GET', '/api/auth/sessions', { cookie: client.cookie }))
        return { ok: response.status === 200, response }
      }
  }
}

/**
 * Sends the mix at its fixed rate for SECONDS, in ticks of 10 ms, and closes a window every
 * WINDOW_SECONDS. A request's latency runs from when it was due, so time spent waiting for a
 * free connection counts.
 */
async function run(clients) {
  const kinds = Object.keys(MIX)
  const perSecond = Object.values(MIX).reduce((sum, n) => sum + n, 0)
  const due = Object.fromEntries(kinds.map(kind => [kind, 0]))
  const windows = []
  let window = openWindow(0)
  const inFlight = new Set()
  const started = performance.now()
  log(`${SECONDS} s at ${perSecond} requests/s (${JSON.stringify(MIX)})`)

  for (let tick = 0; ; tick++) {
    const elapsed = (performance.now() - started) / 1000
    if (elapsed >= SECONDS) break
    if (elapsed >= (windows.length + 1) * WINDOW_SECONDS) {
      windows.push(closeWindow(window, elapsed))
      const last = windows.at(-1)
      log(`${Math.round(elapsed)} s: ${last.rps.toFixed(0)} req/s, p99 ${last.p99.toFixed(1)} ms, RSS ${last.rssMB.toFixed(0)} MB, WAL ${last.walMB.toFixed(1)} MB, ${last.failures} failures`)
      window = openWindow(elapsed)
    }
    for (const kind of kinds) {
      due[kind] += MIX[kind] / 100
      for (; due[kind] >= 1; due[kind]--) {
        const sentAt = performance.now()
        const current = window
        const promise = requestOf(kind, clients)()
          .then(({ ok, response, skipped }) => {
            if (skipped) return
            current.latencies.push(performance.now() - sentAt)
            if (response.status >= 500) current.serverErrors++
            if (!ok) {
              current.failures++
              failure ??= new Error(`${kind}: ${response.status} ${response.body.slice(0, 200)}`)
            }
          }, (error) => {
            current.failures++
            failure ??= new Error(`${kind}: ${error.message}`)
          })
          .finally(() => inFlight.delete(promise))
        inFlight.add(promise)
      }
    }
    // The next tick at its own time, not 10 ms after this one: the rate does not drift.
    const next = started + (tick + 1) * 10
    await new Promise(resolve => setTimeout(resolve, Math.max(0, next - performance.now())))
  }
  await Promise.all(inFlight)
  const elapsed = (performance.now() - started) / 1000
  if (elapsed - window.at >= 1) windows.push(closeWindow(window, elapsed))
  return windows
}

function openWindow(at) {
  return { at, latencies: [], failures: 0, serverErrors: 0 }
}

function closeWindow({ at, latencies, failures, serverErrors }, now) {
  const sorted = Float64Array.from(latencies).sort()
  const quantile = q => (sorted.length ? sorted[Math.ceil(q * sorted.length) - 1] : 0)
  const wal = statSync(`${databaseFile}-wal`, { throwIfNoEntry: false })
  return {
    endSec: Math.round(now),
    rps: latencies.length / (now - at),
    p50: quantile(0.5),
    p99: quantile(0.99),
    rssMB: server.rssBytes() / 2 ** 20,
    walMB: (wal?.size ?? 0) / 2 ** 20,
    failures,
    serverErrors,
  }
}

/** RSS growth after warm-up, p99 over time, the WAL's largest size, and the 5xx and failures. */
function summarize(windows) {
  const steady = windows.filter(w => w.endSec > WARMUP_SECONDS)
  const first = steady[0] ?? windows[0]
  const last = windows.at(-1)
  const p99s = steady.map(w => w.p99).sort((a, b) => a - b)
  return {
    windows: windows.length,
    rssAfterWarmupMB: round(first.rssMB),
    rssAtEndMB: round(last.rssMB),
    rssGrowthAfterWarmup: round(last.rssMB / first.rssMB - 1),
    rssMaxMB: round(Math.max(...steady.map(w => w.rssMB))),
    p99MedianMs: round(p99s[Math.floor(p99s.length / 2)] ?? 0),
    p99MaxMs: round(p99s.at(-1) ?? 0),
    p99FirstSteadyMs: round(first.p99),
    p99LastMs: round(last.p99),
    walMaxMB: round(Math.max(...windows.map(w => w.walMB))),
    meanRps: round(windows.reduce((sum, w) => sum + w.rps, 0) / windows.length),
    serverErrors: windows.reduce((sum, w) => sum + w.serverErrors, 0),
    failures: windows.reduce((sum, w) => sum + w.failures, 0),
  }
}

const round = value => Math.round(value * 100) / 100

/** Three stacked line charts over time (req/s, p99, RSS with the WAL), as one SVG document. */
function plot(windows) {
  const width = 720
  const height = 170
  const margin = { left: 60, right: 20, top: 24, bottom: 26 }
  const charts = [
    { title: 'requests/s', series: [{ values: windows.map(w => w.rps), color: '#1f77b4' }] },
    { title: 'p99 latency, ms', series: [{ values: windows.map(w => w.p99), color: '#d62728' }] },
    { title: 'RSS (blue) and WAL (orange), MB', series: [{ values: windows.map(w => w.rssMB), color: '#1f77b4' }, { values: windows.map(w => w.walMB), color: '#ff7f0e' }] },
  ]
  const end = windows.at(-1)?.endSec ?? 1
  const x = sec => margin.left + (sec / end) * (width - margin.left - margin.right)
  const parts = charts.map((chart, i) => {
    const top = i * height
    const max = Math.max(1e-9, ...chart.series.flatMap(s => s.values)) * 1.1
    const y = value => top + margin.top + (1 - value / max) * (height - margin.top - margin.bottom)
    const lines = chart.series.map(({ values, color }) => {
      const points = values.map((v, j) => `${x(windows[j].endSec).toFixed(1)},${y(v).toFixed(1)}`).join(' ')
      return `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${points}"/>`
    })
    const axis = [0, 0.5, 1].map(f => `<text x="${margin.left - 6}" y="${(y(max * f / 1.1) + 4).toFixed(1)}" text-anchor="end">${(max * f / 1.1).toFixed(max > 20 ? 0 : 1)}</text>`)
    const ticks = [0, 0.25, 0.5, 0.75, 1].map(f => `<text x="${x(end * f).toFixed(1)}" y="${top + height - 8}" text-anchor="middle">${Math.round(end * f)} s</text>`)
    return [
      `<text x="${margin.left}" y="${top + 16}" font-weight="bold">${chart.title}</text>`,
      `<line x1="${margin.left}" y1="${y(0).toFixed(1)}" x2="${width - margin.right}" y2="${y(0).toFixed(1)}" stroke="#999"/>`,
      ...axis, ...ticks, ...lines,
    ].join('\n')
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height * charts.length}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
${parts.join('\n')}
</svg>
`
}

// The run itself, once everything above is defined.
if (env.BENCH_SKIP_BUILD !== '1') {
  log('building the auth app')
  const result = spawnSync('npx', ['nuxi', 'build'], { env: { ...env, DATABASE_URL: '' }, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`build failed:\n${result.stdout}\n${result.stderr}`)
}

const dir = mkdtempSync(join(tmpdir(), 'auth-soak-'))
const databaseFile = join(dir, 'app.db')
const server = await startServer(AUTH_ENTRY, { DATABASE_URL: databaseFile })
const agent = new Agent({ keepAlive: true, maxSockets: 50 })
let failure
// Interrupted (Ctrl-C), the server goes too.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => server.stop().finally(() => process.exit(130)))
}

try {
  const clients = await signInClients(50)
  const windows = await run(clients)
  const report = summarize(windows)
  mkdirSync('bench/results', { recursive: true })
  writeFileSync('bench/results/soak.json', `${JSON.stringify({ date: new Date().toISOString(), cores: cpus().length, node: process.version, seconds: SECONDS, mix: MIX, report, windows }, null, 2)}\n`)
  writeFileSync('docs/soak.svg', plot(windows))
  console.log(JSON.stringify(report, null, 2))
  console.log('written to bench/results/soak.json and docs/soak.svg')
  if (failure) throw failure
}
finally {
  agent.destroy()
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
}
