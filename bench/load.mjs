// The load generator: autocannon in a process of its own (forked by bench/run.mjs), so that it
// never competes with the server for the same event loop. It takes jobs over IPC and answers
// each with what it measured and what the server answered.
import { performance } from 'node:perf_hooks'
import autocannon from 'autocannon'
import { benchToken } from './tokens.mjs'

/**
 * One job: `connections` keep-alive connections sending `method path` (with `headers`) for `duration` seconds or
 * exactly `amount` requests. With `cookies: { seed, from, count }`, request n carries the
 * session token `from + n % count` of that seed, so every request of a run up to `count` names
 * a different session. With `credentials: { password, email }` each request sends them as a
 * JSON body; without an `email`, request n sends an address of its own (`seed`, n), as sign-ups do.
 */
function runJob({ url, method, path, headers, connections, duration, amount, cookies, credentials }) {
  const latencies = []
  const outcomes = {}
  let sent = 0
  const request = {
    method,
    path,
    headers,
    // The outcome of each response, by status and (the start of) its body, is what the run is
    // checked against: a logout that answers anything but `200 true` is not the case measured.
    onResponse: (status, body) => {
      const key = `${status} ${describeBody(String(body), status)}`
      outcomes[key] = (outcomes[key] ?? 0) + 1
    },
  }
  if (cookies) {
    request.setupRequest = (req) => {
      const token = benchToken(cookies.seed, cookies.from + (sent++ % cookies.count))
      return { ...req, headers: { ...req.headers, cookie: `auth_session=${token}` } }
    }
  }
  if (credentials) {
    request.headers = { ...headers, 'content-type': 'application/json' }
    request.setupRequest = req => ({
      ...req,
      body: JSON.stringify({ email: credentials.email ?? `bench-${credentials.seed}-${sent++}@example.com`, password: credentials.password }),
    })
  }

  return new Promise((resolve, reject) => {
    const started = performance.now()
    const cpuBefore = process.cpuUsage()
    // autocannon rejects `duration: undefined`: a run is bounded by one or the other.
    const bound = amount === undefined ? { duration } : { amount }
    let lastResponseAt = started
    const instance = autocannon({ url, connections, ...bound, requests: [request], timeout: 10 }, (error, result) => {
      if (error) return reject(error)
      // Up to the last response, not to the callback: autocannon notices that a run of `amount`
      // requests is over only at its next one-second tick.
      const elapsedSec = (lastResponseAt - started) / 1000
      const cpu = process.cpuUsage(cpuBefore)
      resolve({
        responses: latencies.length,
        elapsedSec,
        rps: latencies.length / elapsedSec,
        latency: summarize(latencies),
        outcomes,
        errors: result.errors,
        timeouts: result.timeouts,
        // The load generator's own CPU per response (this process, all threads): it shares the
        // machine's cores with the server, so what it spends is not there for the server.
        loadMicros: (cpu.user + cpu.system) / latencies.length,
      })
    })
    // autocannon's own histogram counts whole milliseconds, too coarse for sub-millisecond
    // loopback latencies: every response time (a float, in ms) is kept and ranked here instead.
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime)
      lastResponseAt = performance.now()
    })
  })
}

/** `true`, `false`, `user` (a body naming the user), `error` (h3's JSON error for this status), `page` (an HTML document), or the start of anything else. */
function describeBody(body, status) {
  if (body === 'true' || body === 'false') return body
  if (body.startsWith('<!DOCTYPE html>')) return 'page'
  try {
    const parsed = JSON.parse(body)
    if (parsed.statusCode === status) return 'error'
    if (typeof parsed.user?.id === 'string') return 'user'
  }
  catch {
    // not JSON: reported as it is
  }
  return JSON.stringify(body.slice(0, 60))
}

function summarize(values) {
  const sorted = Float64Array.from(values).sort()
  const at = q => sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : Number.NaN
  const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length
  return { p50: at(0.5), p99: at(0.99), mean, max: sorted.at(-1) }
}

process.on('message', async ({ id, job }) => {
  try {
    process.send({ id, result: await runJob(job) })
  }
  catch (error) {
    process.send({ id, error: String(error?.stack ?? error) })
  }
})
