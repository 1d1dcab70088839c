import { randomBytes } from 'node:crypto'
import { statSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, signUpUser } from '../support/client'
import { startServer, type TestServer } from '../support/server'
import { openDatabase, sha256Hex } from '../support/sqlite'

// SQLite only. Under a steady stream of writes the WAL must still be checkpointed and rewound:
// a checkpointer that only ever ran beside the writes (never between them) let it grow by
// tens of MB a second. This sends thousands of logouts back to back and watches the file.
const LOGOUTS = 7000
const IN_FLIGHT = 8
// The server's connection finishes the worker's checkpoint and rewinds the WAL once it holds
// 4000 pages of 4 KiB (server/database/sqlite-checkpoints.ts), about 16 MiB; 24 MiB is the limit.
// Without that step, SQLite's own checkpoint would let it reach 32 MiB, and without any
// checkpoint these logouts would write some 70 MiB.
const WAL_LIMIT_BYTES = 24 * 1024 * 1024

let server: TestServer

beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server?.stop()
})

const token = () => Array.from(randomBytes(40), byte => 'abcdefghijklmnopqrstuvwxyz234567'[byte % 32]).join('')

describe('the SQLite WAL under steady writes', () => {
  it(`stays under ${WAL_LIMIT_BYTES / 1024 / 1024} MiB through ${LOGOUTS} logouts in a row, each one true`, async () => {
    const { user } = await signUpUser(server.url)
    const tokens = Array.from({ length: LOGOUTS }, token)
    const db = openDatabase(server.dbPath)
    const insert = db.prepare('insert into session (id, user_id, expires_at, created_at) values (?, ?, ?, ?)')
    const now = Math.floor(Date.now() / 1000)
    db.transaction(() => tokens.forEach(t => insert.run(sha256Hex(t), user.id, now + 3600, now)))()
    db.close()

    let largestWal = 0
    const answers: unknown[] = []
    const next = tokens.values()
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      for (const t of next) {
        const response = await call(server.url, '/api/auth/logout', { method: 'POST', cookie: `auth_session=${t}` })
        answers.push(await response.json())
        largestWal = Math.max(largestWal, statSync(`${server.dbPath}-wal`).size)
      }
    }))

    console.info(`[sqlite-wal] largest WAL ${(largestWal / 1024).toFixed(0)} KiB`)
    expect(answers.filter(answer => answer === true)).toHaveLength(LOGOUTS)
    // Each logout appends a few pages.
    expect(largestWal).toBeGreaterThan(0)
    expect(largestWal).toBeLessThan(WAL_LIMIT_BYTES)
    // The worker did the checkpoints: SQLite's fallback alone would keep the WAL small too.
    expect(server.logs()).not.toMatch(/checkpoint worker|WAL checkpoint failed/)
  }, 90_000)
})
