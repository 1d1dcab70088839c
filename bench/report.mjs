// The printed table and the targets: every figure beside its ratio to the baseline measured in
// the same run.

const TARGETS = {
  validLogoutThroughput: 0.7,
  latencyGrowth: 1.2,
  coldStart: 1.3,
}

const ms = value => `${value.toFixed(3)} ms`
const ratio = (value, base) => `${(value / base).toFixed(2)}x`
const mb = bytes => `${(bytes / 2 ** 20).toFixed(0)} MB`

/** The targets from the issue, each with the figures it compares and whether it was met. */
export function evaluateTargets(results) {
  const targets = []
  for (const [backend, { throughput, tableSizes }] of Object.entries(results.backends)) {
    const share = throughput.valid.rps / throughput.baseline.rps
    targets.push({
      target: `${backend}: logout (valid session) req/s >= ${TARGETS.validLogoutThroughput} x baseline`,
      measured: `${throughput.valid.rps.toFixed(0)} / ${throughput.baseline.rps.toFixed(0)} req/s = ${share.toFixed(2)}`,
      met: share >= TARGETS.validLogoutThroughput,
    })
    const [smallest, largest] = [tableSizes.runs[0], tableSizes.runs.at(-1)]
    const growth = largest.latency.p50 / smallest.latency.p50
    targets.push({
      target: `${backend}: logout p50 with ${largest.size} sessions <= ${TARGETS.latencyGrowth} x with ${smallest.size}`,
      measured: `${ms(largest.latency.p50)} / ${ms(smallest.latency.p50)} = ${growth.toFixed(2)}`,
      met: growth <= TARGETS.latencyGrowth,
    })
  }
  const { auth, bare } = results.coldStart
  const cold = auth.median / bare.median
  targets.push({
    target: `cold start (median) <= ${TARGETS.coldStart} x bare Nuxt app`,
    measured: `${auth.median.toFixed(0)} / ${bare.median.toFixed(0)} ms = ${cold.toFixed(2)}`,
    met: cold <= TARGETS.coldStart,
  })
  return targets
}

export function formatReport(results) {
  const lines = []
  const { machine } = results
  lines.push(`${machine.date}  ${machine.cpuModel} (${machine.cores} cores)  Node ${machine.node}  ${machine.platform}`)

  for (const [backend, { throughput, tableSizes, rssBytes }] of Object.entries(results.backends)) {
    const base = throughput.baseline
    lines.push('', `${backend}: throughput, ${results.config.connections} connections (ratios against GET /api/health in this run)`)
    lines.push(...table(['request', 'answer', 'req/s', 'x base', 'p50', 'x base', 'p99', 'x base'], [
      ['GET /api/health (baseline)', '200 true', base],
      [`logout, valid session (${throughput.sessions} rows)`, '200 true', throughput.valid],
      ['logout, spent cookie', '200 false', throughput.spent],
      ['logout, no cookie', '401', throughput.noCookie],
      ['signup, new address', '201', throughput.signup],
      ['login, right password', '200', throughput.login],
      ['login, address locked out', '429', throughput.loginRefused],
      ['GET /api/auth/me, valid session', '200', throughput.me],
    ].map(([name, answer, r]) => [name, answer, r.rps.toFixed(0), ratio(r.rps, base.rps), ms(r.latency.p50), ratio(r.latency.p50, base.latency.p50), ms(r.latency.p99), ratio(r.latency.p99, base.latency.p99)])))

    const latencyBase = tableSizes.baseline
    lines.push('', `${backend}: logout latency by table size, one connection, ${results.config.latencyRequests} requests each`)
    lines.push(...table(['request', 'sessions', 'p50', 'x base', 'p99', 'x base', 'req/s', 'x base'], [
      ['GET /api/health (baseline)', '', latencyBase],
      ...tableSizes.runs.map(run => ['logout, valid session', String(run.size), run]),
    ].map(([name, size, r]) => [name, size, ms(r.latency.p50), ratio(r.latency.p50, latencyBase.latency.p50), ms(r.latency.p99), ratio(r.latency.p99, latencyBase.latency.p99), r.rps.toFixed(0), ratio(r.rps, latencyBase.rps)])))
    lines.push(`${backend}: server RSS after these runs: ${mb(rssBytes)} (${ratio(rssBytes, results.bareApp.rssBytes)} the bare app's ${mb(results.bareApp.rssBytes)})`)
  }

  const { auth, bare } = results.coldStart
  lines.push('', `cold start: spawn to first good response, ${bare.runs.length} starts each`)
  lines.push(...table(['app', 'median', 'x bare', 'min', 'max'], [
    ['bare Nuxt app, GET /api/ping', bare],
    ['auth app, POST /api/auth/logout', auth],
  ].map(([name, r]) => [name, `${r.median.toFixed(0)} ms`, ratio(r.median, bare.median), `${r.min.toFixed(0)} ms`, `${r.max.toFixed(0)} ms`])))
  lines.push(`bare app under the baseline load: ${results.bareApp.rps.toFixed(0)} req/s, p50 ${ms(results.bareApp.latency.p50)}, RSS ${mb(results.bareApp.rssBytes)}`)

  lines.push('', 'targets')
  lines.push(...table(['target', 'measured', 'met'], results.targets.map(t => [t.target, t.measured, t.met ? 'yes' : 'NO'])))
  return lines.join('\n')
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(row => row[i].length)))
  const line = row => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd()
  return [line(header), widths.map(w => '-'.repeat(w)).join('  '), ...rows.map(line)]
}
