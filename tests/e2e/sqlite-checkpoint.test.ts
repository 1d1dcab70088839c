import { readFileSync, statSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signUpUser, uniqueEmail } from '../support/client'
import { startServer, type TestServer } from '../support/server'

// SQLite only: the server turns automatic checkpoints off and checkpoints from a worker thread
// (server/database/sqlite-checkpointer.ts). If that worker did nothing, the WAL would only grow.
let server: TestServer

beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server?.stop()
})

/** Resolves once `check` holds, polling every 50 ms; fails after `timeoutMs`. */
async function eventually(check: () => boolean, what: string, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

describe('SQLite checkpoints in the background', () => {
  it('copies new rows from the WAL into the database file within seconds, with no request doing it', async () => {
    const emails = Array.from({ length: 5 }, () => uniqueEmail())
    for (const email of emails) await signUpUser(server.url, email)
    const inFile = (email: string) => readFileSync(server.dbPath).includes(email)

    // Written to the WAL first: a few small commits are far from SQLite's own 1000-page trigger.
    expect(readFileSync(`${server.dbPath}-wal`).includes(emails.at(-1)!)).toBe(true)
    await eventually(() => emails.every(inFile), 'every new user in the database file')
    expect(statSync(`${server.dbPath}-wal`).size).toBeGreaterThan(0)
    expect(server.logs()).not.toMatch(/checkpoint/i)
  })
})
