// `node bench/page-render.mjs <server dir>`: the server time of one page, without HTTP. Loads a
// built server (`.output/server` of the auth app, or of bench/bare-app) into this process, signs
// up a user (the auth app only), and renders PAGE_PATH (default `/`) one request after another
// through Nitro's in-process fetch. It prints, in µs a page, the fastest and the median of
// PAGE_BLOCKS (7) blocks of 2000 renders, after 3000 untimed ones.
//
// For ablations of the signed-in page: over HTTP, two copies of one build read 1.06x-1.14x of
// each other's server time on these VMs (bench/ab.mjs, A/A), more than most of its parts cost;
// here the fastest block of a run moved by about ±4%. Build one variant per part removed, copy each
// `.output` aside, and run them alternately, a few runs each (docs/benchmarks.md). Its figures
// are not the benchmark's: no sockets, no concurrency, and the in-process fetch's own cost.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BENCH_PASSWORD } from './suite.mjs'

const serverDir = process.argv[2]
if (!serverDir) {
  console.error('usage: node bench/page-render.mjs <.output/server of a build>  (see the top of bench/page-render.mjs)')
  process.exit(2)
}
const entry = pathToFileURL(join(resolve(serverDir), 'chunks/nitro/nitro.mjs'))
const path = process.env.PAGE_PATH || '/'
const blocks = Number(process.env.PAGE_BLOCKS || 7)
const BLOCK = 2000
const EMAIL = 'page-render@example.com'

const dir = mkdtempSync(join(tmpdir(), 'auth-page-render-'))
// Loading the chunk starts the server's listener too: on any free port, and ended by the exit.
Object.assign(process.env, { NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0', DATABASE_URL: join(dir, 'app.db') })
// What the server's index.mjs sets before it loads this chunk.
globalThis._importMeta_ = { url: entry.href, env: process.env }
try {
  await import(entry.href)
  // Nitro's $fetch, bound to the in-process fetch of the app just loaded.
  const fetchPage = globalThis.$fetch.raw
  const signup = await fetchPage('/api/auth/signup', {
    method: 'POST',
    headers: { origin: 'http://127.0.0.1', host: '127.0.0.1' },
    body: { email: EMAIL, password: BENCH_PASSWORD },
    ignoreResponseError: true,
  })
  // The bare app has no such route: its page is rendered without a cookie.
  const cookie = signup.status === 201 ? signup.headers.getSetCookie()[0].split(';', 1)[0] : undefined
  const render = async () => {
    const response = await fetchPage(path, { headers: { host: '127.0.0.1', ...(cookie && { cookie }) }, responseType: 'text' })
    if (cookie && !response._data.includes(EMAIL)) throw new Error(`${path} is not the signed-in page: ${response._data.slice(0, 300)}`)
  }
  for (let i = 0; i < 3000; i++) await render()
  const micros = []
  for (let b = 0; b < blocks; b++) {
    const start = performance.now()
    for (let i = 0; i < BLOCK; i++) await render()
    micros.push((performance.now() - start) * 1000 / BLOCK)
  }
  micros.sort((a, b) => a - b)
  console.log(JSON.stringify({ server: serverDir, signedIn: Boolean(cookie), fastest: +micros[0].toFixed(1), median: +micros[micros.length >> 1].toFixed(1) }))
}
finally {
  rmSync(dir, { recursive: true, force: true })
}
process.exit(0)
