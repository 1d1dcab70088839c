import { spawnSync } from 'node:child_process'

declare global {
  var e2eBuilt: boolean | undefined
}

/**
 * One production build per test run (`nuxi build` → .output/), shared by every e2e file and
 * every e2e project (globalThis: each project runs this setup in the same main process).
 */
export default function buildOnce() {
  if (process.env.E2E_SKIP_BUILD === '1' || globalThis.e2eBuilt) return
  const started = Date.now()
  // A DATABASE_URL in the developer's shell must not make a PostgreSQL-only build.
  const env = { ...process.env, DATABASE_URL: '' }
  const result = spawnSync('npx', ['nuxi', 'build'], { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 300_000 })
  if (result.status !== 0) {
    throw new Error(`nuxi build failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`)
  }
  globalThis.e2eBuilt = true
  console.log(`[e2e] production build ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}
