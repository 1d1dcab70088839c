import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

export interface Checkpointer {
  stop: () => Promise<void>
}

// The worker's program, kept inline so that no bundler has to know about a second entry point.
// It opens its own connection and copies the WAL back into the database file passively (never
// waiting for or blocking writers), so the fsyncs of a checkpoint happen off the event loop.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.path)
db.pragma('busy_timeout = 5000')
let failing = false
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
    failing = false
  }
  catch (error) {
    // A full disk, say: report it once and keep trying; the WAL keeps every commit meanwhile.
    if (!failing) parentPort.postMessage(String(error))
    failing = true
  }
}, workerData.intervalMs)
parentPort.once('message', () => {
  clearInterval(timer)
  db.close()
  parentPort.close()
})
`

/**
 * Checkpoints the SQLite file at `path` from a worker thread every `intervalMs`. The caller turns
 * its own connection's automatic checkpoints off; `onFailure` runs if the worker stops working,
 * so that the caller can turn them back on rather than let the WAL grow without bound.
 */
export function startCheckpointer(path: string, onFailure: (error: unknown) => void, intervalMs = 1000): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path, intervalMs } })
  worker.unref()
  worker.on('message', message => console.warn('[db] SQLite checkpoint failed; retrying every', intervalMs, 'ms:', message))
  let stopping = false
  worker.on('error', (error) => {
    if (!stopping) onFailure(error)
  })
  const exited = new Promise<void>(resolve => worker.once('exit', (code) => {
    if (!stopping) onFailure(new Error(`SQLite checkpoint worker exited with code ${code}`))
    resolve()
  }))
  return {
    stop: async () => {
      stopping = true
      // Held open until it has closed its connection (unref'd, it would not keep Node waiting).
      worker.ref()
      worker.postMessage('stop')
      await exited
    },
  }
}
