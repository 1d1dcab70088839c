import { createRequire } from 'node:module'
import type { Worker } from 'node:worker_threads'
import type Database from 'better-sqlite3'

/**
 * WAL checkpoints in a worker thread, beside the server's writes instead of inside them.
 *
 * SQLite's automatic checkpoint runs inside whichever commit fills the WAL to 1000 pages: it
 * copies those pages into the database file and fsyncs both files, while the event loop waits.
 * That was most of a logout's delete (in a loop at 1M sessions, 112 µs a delete with it against
 * 27 without, half of the difference waiting on the disk; docs/benchmarks.md). Here a worker
 * with a connection of its own copies the pages (a PASSIVE checkpoint: it never blocks a writer
 * or a reader) while the server goes on.
 *
 * A checkpoint beside a steady stream of writes never finishes, since pages are added while it
 * copies, and the WAL only starts over (rewinds) once every page in it is in the database file:
 * a checkpointer that only ran beside the writes let the WAL grow by gigabytes. So once the WAL
 * holds REWIND_PAGES, the server's connection checkpoints what the worker's last run left (the
 * pages written meanwhile), between two of its own statements, and the next write rewinds it.
 * That bounds the WAL at about REWIND_PAGES plus one worker run's worth.
 *
 * Should the worker fail, the connection goes back to SQLite's automatic checkpoints.
 */

/** WAL size in pages (4 KiB each) at which the server's connection finishes a checkpoint itself. */
const REWIND_PAGES = 4000
/**
 * SQLite's own checkpoint stays on for the writes the worker is not told about (the login
 * throttle's counters go to the driver directly), at a size the WAL reaches only without them.
 */
const BACKSTOP_PAGES = 2 * REWIND_PAGES
/** SQLite's automatic checkpoints, as without a worker. */
const INLINE_PAGES = 1000
/** The worker is asked at most this often, and only while the server writes. */
const MIN_INTERVAL_MS = 10
/**
 * The thread is started this long after the first write: starting it costs the event loop
 * about 2 ms (and the thread 40 ms of loading), kept out of start-up and out of that write's
 * answer, which a group commit gives a turn or two later (sqlite.ts).
 */
const START_DELAY_MS = 100

// CommonJS, evaluated in the worker: Nitro bundles the server, and a worker file of its own
// would not be in the build.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.path, { fileMustExist: true })
// A checkpoint reads the schema first, which waits for a lock like any read.
db.pragma('busy_timeout = 5000')
parentPort.on('message', () => {
  try {
    const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)')
    parentPort.postMessage({ log })
  }
  catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) })
  }
})
`

export interface Checkpointer {
  /** Called before each write: asks the worker for a checkpoint if none is running. */
  wrote: () => void
  close: () => Promise<void>
}

export function startCheckpointer(client: Database.Database, path: string): Checkpointer {
  client.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`)
  let worker: Worker | undefined
  let running = false
  let failed = false
  let closing = false
  let askedAt = Number.NEGATIVE_INFINITY

  const fallBack = (error: unknown) => {
    if (failed) return
    failed = true
    console.error('[db] the checkpoint worker failed; SQLite checkpoints inline from now on:', error)
    if (client.open) client.pragma(`wal_autocheckpoint = ${INLINE_PAGES}`)
  }

  const onMessage = ({ log, error }: { log?: number, error?: string }) => {
    running = false
    if (error !== undefined) {
      // A checkpoint that could not run (the disk full, the file gone) is tried again at the
      // next write; the writes themselves report the store's state.
      console.error('[db] a WAL checkpoint failed:', error)
      return
    }
    // Between two statements of this connection: no write can come in between this and the
    // next one, which then rewinds the WAL.
    if (log! < REWIND_PAGES || !client.open || client.inTransaction) return
    try {
      client.pragma('wal_checkpoint(PASSIVE)')
    }
    catch (checkpointError) {
      console.error('[db] a WAL checkpoint failed:', checkpointError)
    }
  }

  /** The thread, with its own connection; none (and SQLite's checkpoints inline) if it cannot start. */
  const spawn = (): Worker | undefined => {
    try {
      // Loaded only now: importing node:worker_threads took about 4 ms of every start.
      const { Worker } = process.getBuiltinModule('node:worker_threads')
      const driver = createRequire(import.meta.url).resolve('better-sqlite3')
      const started = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path } })
      // The worker must not keep a server that is otherwise done from exiting.
      started.unref()
      started.on('error', fallBack)
      started.on('exit', (code) => {
        if (!closing) fallBack(new Error(`the worker exited (${code})`))
      })
      started.on('message', onMessage)
      return started
    }
    catch (error) {
      // No thread to be had (a process limit, Node's permission model).
      fallBack(error)
      return undefined
    }
  }

  const ask = () => {
    if (closing) return
    worker ??= spawn()
    if (worker) worker.postMessage('checkpoint')
    else running = false
  }

  return {
    wrote: () => {
      if (running || failed) return
      const now = performance.now()
      if (now - askedAt < MIN_INTERVAL_MS) return
      askedAt = now
      running = true
      if (worker) worker.postMessage('checkpoint')
      else setTimeout(ask, START_DELAY_MS).unref()
    },
    // Ending the thread closes its connection (better-sqlite3's cleanup), before this resolves.
    close: async () => {
      closing = true
      await worker?.terminate()
    },
  }
}
