import { spawnSync } from 'node:child_process'

/** One production build per test run (`nuxi build` → .output/), shared by every e2e file. */
export default function buildOnce() {
  if (process.env.E2E_SKIP_BUILD === '1') return
  const started = Date.now()
  const result = spawnSync('npx', ['nuxi', 'build'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 300_000 })
  if (result.status !== 0) {
    throw new Error(`nuxi build failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`)
  }
  console.log(`[e2e] production build ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}
