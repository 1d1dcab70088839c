// The orchestrator's side of the load generator (bench/load.mjs), shared by `npm run bench`
// (bench/run.mjs) and the A/B script (bench/ab.mjs).
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** bench/load.mjs in a child process; `run(job)` resolves with its result. */
export function startLoadGenerator() {
  const child = fork(fileURLToPath(new URL('load.mjs', import.meta.url)), { stdio: 'inherit' })
  const pending = new Map()
  let nextId = 0
  child.on('message', ({ id, result, error }) => {
    const { resolve, reject } = pending.get(id)
    pending.delete(id)
    if (error) reject(new Error(`load generator: ${error}`))
    else resolve(result)
  })
  child.on('exit', (code) => {
    for (const { reject } of pending.values()) reject(new Error(`load generator exited (${code})`))
  })
  return {
    run: job => new Promise((resolve, reject) => {
      const id = nextId++
      pending.set(id, { resolve, reject })
      child.send({ id, job })
    }),
    close: () => child.disconnect(),
  }
}
