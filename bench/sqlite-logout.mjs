// Where logout's time goes as the session table grows, on SQLite: the delete logout runs
// (`DELETE FROM session WHERE id = ? RETURNING expires_at`, one commit each), in this process,
// on a file holding N sessions, under the server's pragmas and schema and variants of them
// (VARIANTS below). Reports time per delete and the bytes read (rchar, /proc/self/io) and
// written per delete: reads beyond SQLite's own page cache are read(2) calls.
// `node bench/sqlite-logout.mjs`; BENCH_SIZES=1000,1000000, BENCH_LOGOUTS=20000,
// BENCH_CLEANUP_DIR=/dev/shm (to tell disk from CPU), BENCH_VARIANTS=<names, comma-separated>.
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import Database from 'better-sqlite3'
import { ioCounters } from './server.mjs'

const SIZES = (process.env.BENCH_SIZES || '1000,1000000').split(',').map(Number)
const DELETES = Number(process.env.BENCH_LOGOUTS || 20000)
const DIR = process.env.BENCH_CLEANUP_DIR ?? tmpdir()
const USERS = 1000

const SESSION_TABLE = (rowid, blob, userIndex = true) => `CREATE TABLE session (
  id ${blob ? 'blob' : 'text'} PRIMARY KEY NOT NULL, user_id text NOT NULL, expires_at integer NOT NULL,
  created_at integer NOT NULL, user_agent text,
  FOREIGN KEY (user_id) REFERENCES user(id) ON UPDATE no action ON DELETE cascade
)${rowid ? '' : ' WITHOUT ROWID'};
${userIndex ? 'CREATE INDEX session_user_id_idx ON session (user_id);' : ''}
CREATE INDEX session_expires_at_idx ON session (expires_at);`

/** The server's pragmas (server/database/sqlite.ts) and the variants tried. */
const VARIANTS = {
  'rowid table (server pragmas)': { rowid: true, pragmas: [] },
  'cache_size 64 MB': { rowid: true, pragmas: ['cache_size = -65536'] },
  'mmap_size 1 GB': { rowid: true, pragmas: ['mmap_size = 1073741824'] },
  'WITHOUT ROWID': { rowid: false, pragmas: [] },
  'WITHOUT ROWID + cache 64 MB': { rowid: false, pragmas: ['cache_size = -65536'] },
  'WITHOUT ROWID + mmap 1 GB': { rowid: false, pragmas: ['mmap_size = 1073741824'] },
  // How much of a delete is the checkpoint: fewer, larger ones, and none at all (a bound only).
  'wal_autocheckpoint 1000': { rowid: true, pragmas: ['wal_autocheckpoint = 1000'] },
  'wal_autocheckpoint 4000': { rowid: true, pragmas: ['wal_autocheckpoint = 4000'] },
  'no checkpoint (bound)': { rowid: true, pragmas: ['wal_autocheckpoint = 0'] },
  // Group commit: this many deletes to a transaction, as concurrent logouts would share one.
  'group commit of 10': { rowid: true, pragmas: [], group: 10 },
  'group commit of 10 (WITHOUT ROWID)': { rowid: false, pragmas: [], group: 10 },
  'group commit of 10 + cache 64 MB': { rowid: true, pragmas: ['cache_size = -65536'], group: 10 },
  'group commit of 10 without checkpoints (bound)': { rowid: true, pragmas: ['wal_autocheckpoint = 0'], group: 10 },
  // Smaller trees: the id as its 32 bytes rather than 64 hex characters, and no user_id index (a bound only).
  'binary id': { rowid: true, blob: true, pragmas: [] },
  'binary id WITHOUT ROWID': { rowid: false, blob: true, pragmas: [] },
  'no user_id index (bound)': { rowid: true, pragmas: [], userIndex: false },
  'group commit of 10 (binary id)': { rowid: true, blob: true, pragmas: [], group: 10 },
  'group commit of 10 (binary id WITHOUT ROWID)': { rowid: false, blob: true, pragmas: [], group: 10 },
}
const only = process.env.BENCH_VARIANTS?.split(',')

const hexId = (seed, i) => createHash('sha256').update(`${seed}:${i}`).digest('hex')
const binaryId = (seed, i) => createHash('sha256').update(`${seed}:${i}`).digest()
const io = () => ioCounters('/proc/self/io')

function measure(size, { rowid, blob = false, userIndex = true, pragmas, group = 1 }) {
  const id = blob ? binaryId : hexId
  const dir = mkdtempSync(join(DIR, 'bench-logout-'))
  try {
    const path = join(dir, 'app.db')
    let db = new Database(path)
    db.pragma('journal_mode = WAL')
    db.exec('CREATE TABLE user (id text PRIMARY KEY NOT NULL, email text NOT NULL, password_hash text NOT NULL, created_at integer NOT NULL)')
    db.exec(SESSION_TABLE(rowid, blob, userIndex))
    const now = Math.floor(Date.now() / 1000)
    const insertUser = db.prepare('insert into user values (?, ?, ?, ?)')
    const insert = db.prepare('insert into session (id, user_id, expires_at, created_at, user_agent) values (?, ?, ?, ?, ?)')
    db.transaction(() => {
      for (let i = 0; i < USERS; i++) insertUser.run(`u${i}`, `u${i}@x`, 'x', now)
      for (let i = 0; i < size + DELETES; i++) insert.run(id('s', i), `u${i % USERS}`, now + 86400 * 30, now, 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36')
    })()
    db.pragma('wal_checkpoint(TRUNCATE)')
    db.close()
    // A fresh connection, as a server starting on the file has: nothing in SQLite's own cache.
    db = new Database(path)
    for (const pragma of ['journal_mode = WAL', 'busy_timeout = 5000', 'foreign_keys = ON', 'synchronous = NORMAL', 'wal_autocheckpoint = 250', ...pragmas]) db.pragma(pragma)
    const remove = db.prepare('delete from session where id = ? returning expires_at')
    // Random order over the whole table, as the sessions a crowd of users ends are.
    const order = Array.from({ length: DELETES }, (_, i) => Math.floor(i * (size + DELETES) / DELETES))
    const times = new Float64Array(DELETES)
    const before = io()
    const started = performance.now()
    const deleteGroup = db.transaction((from) => {
      for (let i = from; i < from + group; i++) {
        if (!remove.get(id('s', order[i]))) throw new Error('row missing')
      }
    })
    // Per delete, a group's time shared among its deletes.
    for (let i = 0; i < DELETES; i += group) {
      const t = performance.now()
      deleteGroup(i)
      times.fill((performance.now() - t) / group, i, i + group)
    }
    const elapsed = performance.now() - started
    const after = io()
    db.close()
    times.sort()
    const at = q => times[Math.ceil(q * DELETES) - 1] * 1000
    return {
      size,
      'mean µs': Math.round(elapsed / DELETES * 1000),
      'p50 µs': Math.round(at(0.5)),
      'p99 µs': Math.round(at(0.99)),
      'max µs': Math.round(times[DELETES - 1] * 1000),
      'read KB/delete': Math.round((after.rchar - before.rchar) / DELETES / 1024 * 10) / 10,
      'written KB/delete': Math.round((after.wchar - before.wchar) / DELETES / 1024 * 10) / 10,
    }
  }
  finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

for (const [name, variant] of Object.entries(VARIANTS)) {
  if (only && !only.includes(name)) continue
  const rows = SIZES.map(size => measure(size, variant))
  console.log(name)
  console.table(rows)
}
