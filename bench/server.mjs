// Production servers under test, each in its own process, and the plain HTTP requests the
// orchestrator makes itself (cold-start probes); the load itself comes from bench/load.mjs.
import { execFileSync, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { request } from 'node:http'
import { performance } from 'node:perf_hooks'

const START_TIMEOUT_MS = 30_000
const OUTPUT_KEPT = 64 * 1024

/**
 * Starts `node <entry>` on 127.0.0.1 and a free port, as the e2e tests do, and resolves once it
 * prints `Listening on http://127.0.0.1:PORT`. BENCH_CPU_PROF=<dir> runs it under
 * `node --cpu-prof`, writing a profile there when it exits.
 */
export async function startServer(entry, env = {}) {
  const profileDir = process.env.BENCH_CPU_PROF
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []
  const spawnedAt = performance.now()
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    env: { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // The first OUTPUT_KEPT characters of the server's output, for error messages: a server logs
  // a line per logout, and keeping (and searching) all of it would cost this process, which
  // shares the cores with the server, more the longer a run goes.
  let output = ''
  const keep = chunk => (output.length < OUTPUT_KEPT ? (output += chunk) : output)
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)

  const url = await new Promise((resolve, reject) => {
    // A server that never listens is killed: no caller holds it to stop it.
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${entry} did not start in ${START_TIMEOUT_MS} ms:\n${output}`))
    }, START_TIMEOUT_MS)
    const listening = () => {
      const match = /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (!match) return
      clearTimeout(timer)
      child.stdout.off('data', listening)
      resolve(match[1])
    }
    child.stdout.on('data', listening)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${entry} exited (${code ?? signal}) before listening:\n${output}`))
    })
  })

  return {
    url,
    pid: child.pid,
    spawnedAt,
    /** Resident set size now, from /proc (Linux). */
    rssBytes: () => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) * 1024,
    cpuMicros: () => cpuMicros(child.pid),
    logs: () => output,
    stop: () => stopProcess(child),
  }
}

let ticksPerSecond

/** µs per clock tick, the unit of the kernel's CPU counters (10 ms here). */
export function microsPerTick() {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }))
  return 1e6 / ticksPerSecond
}

/** The I/O counters of a `/proc/.../io` file (rchar, wchar, syscr, syscw, write_bytes, ...), as numbers (Linux). */
export function ioCounters(path) {
  return Object.fromEntries(readFileSync(path, 'utf8').trim().split('\n').map(line => line.split(': ')).map(([key, value]) => [key, Number(value)]))
}

/** A thread's CPU time so far, in clock ticks, from its `/proc/<pid>/task/<tid>/stat` (Linux). */
export function threadTicks(pid, tid) {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { user: Number(fields[11]), system: Number(fields[12]) }
}

/**
 * CPU time the process has used so far (user + system, from /proc, Linux), in µs: `main` for
 * its main thread (the event loop), `total` for all of its threads (libuv's pool, V8's GC
 * helpers, the SQLite checkpoint worker). The kernel counts in clock ticks, 10 ms each here:
 * over a 5-second run that is well under 1%.
 */
function cpuMicros(pid) {
  const micros = (tid) => {
    const { user, system } = threadTicks(pid, tid)
    return (user + system) * microsPerTick()
  }
  let total = 0
  for (const thread of readdirSync(`/proc/${pid}/task`)) total += micros(thread)
  return { main: micros(pid), total }
}

/**
 * The machine's CPU time so far, from the first line of /proc/stat (Linux), in clock ticks of
 * all cores together: `steal` is time the hypervisor gave this VM's virtual cores to someone
 * else, `total` everything. A run's steal over its total says how much of the machine was not
 * there for the processes measured.
 */
export function machineTicks() {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number)
  return { steal, total: user + nice + system + idle + iowait + irq + softirq + steal }
}

/** SIGTERM (Nitro shuts down gracefully, and `--cpu-prof` writes its profile), SIGKILL after 10 s. */
function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/** One request on a fresh connection: `{ status, cookies, body }` (cookies: the Set-Cookie lines), or the connection error. */
export function httpRequest(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', chunk => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode, cookies: res.headers['set-cookie'] ?? [], body }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/**
 * Cold start: spawns the server and sends `probe` until it answers as `ok` says, then stops it.
 * The time runs from just before spawn() to the first good response, so it covers Node's own
 * start, loading the bundle, opening the database and the first request.
 */
export async function measureColdStart(entry, env, probe) {
  const server = await startServer(entry, env)
  try {
    for (;;) {
      const response = await httpRequest(new URL(probe.path, server.url), probe).catch(() => undefined)
      if (response && probe.ok(response)) return performance.now() - server.spawnedAt
      if (performance.now() - server.spawnedAt > START_TIMEOUT_MS) {
        throw new Error(`${entry} never answered ${probe.path} as expected; last: ${JSON.stringify(response)}\n${server.logs()}`)
      }
      await new Promise(resolve => setTimeout(resolve, 2))
    }
  }
  finally {
    await server.stop()
  }
}
