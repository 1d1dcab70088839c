import { afterEach, describe, expect, it } from 'vitest'
import { backendSkipReason, createBackend, type TestBackend } from '../support/backend'
import { call, signUpUser } from '../support/client'
import { startServer } from '../support/server'
import { startTcpProxy } from '../support/tcp-proxy'

// On PostgreSQL a session lookup that does not slide is one statement, and it must be one round
// trip: the statements the app sends are prepared once per connection, not parsed and
// described again before every run (server/database/postgres.ts). The server talks to the
// database through a proxy that reads the protocol's frontend messages (in the clear: no
// sslmode in TEST_POSTGRES_URL). Each Sync, Flush and simple Query ends one round trip: the
// client then waits for the server's answer before it sends more (an unprepared query with
// parameters sends Parse, Describe and Flush, then Bind, Execute and Sync).

const skip = await backendSkipReason()

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Frontend messages over all connections, by type (`P` Parse, `S` Sync, `H` Flush, `Q` a simple query, ...). */
function frontendMessageCounter() {
  const counts = new Map<string, number>()
  const pending = new Map<number, { buffer: Buffer, started: boolean }>()
  const add = (connection: number, chunk: Buffer) => {
    const state = pending.get(connection) ?? { buffer: Buffer.alloc(0), started: false }
    pending.set(connection, state)
    state.buffer = Buffer.concat([state.buffer, chunk])
    for (;;) {
      // The start-up message has no type byte: a length (itself included), then the rest.
      const header = state.started ? 5 : 4
      if (state.buffer.length < header) return
      const length = state.buffer.readInt32BE(state.started ? 1 : 0) + (state.started ? 1 : 0)
      if (state.buffer.length < length) return
      if (state.started) {
        const type = String.fromCharCode(state.buffer[0]!)
        counts.set(type, (counts.get(type) ?? 0) + 1)
      }
      state.started = true
      state.buffer = state.buffer.subarray(length)
    }
  }
  const count = (type: string) => counts.get(type) ?? 0
  return { add, parses: () => count('P'), roundTrips: () => count('S') + count('H') + count('Q'), reset: () => counts.clear() }
}

describe.skipIf(skip)(`PostgreSQL round trips${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('a session lookup (GET /api/auth/me) and a logout are one round trip each once their statements are prepared', async () => {
    const db = await createBackend() as TestBackend
    cleanups.push(() => db.close())
    const messages = frontendMessageCounter()
    const url = new URL(db.databaseUrl)
    const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) }, { onClientData: messages.add })
    cleanups.push(() => proxy.close())
    url.port = String(proxy.port)
    // One connection: every statement below meets the one that prepared it.
    const server = await startServer({ DATABASE_URL: url.href, DATABASE_POOL_MAX: '1' })
    cleanups.push(() => server.stop())

    const sessions = [await signUpUser(server.url), await signUpUser(server.url), await signUpUser(server.url)]
    // The first lookup and the first logout prepare their statements.
    expect((await call(server.url, '/api/auth/me', { cookie: sessions[0]!.cookie })).status).toBe(200)
    expect(await (await call(server.url, '/api/auth/logout', { method: 'POST', cookie: sessions[0]!.cookie })).json()).toBe(true)

    messages.reset()
    for (const { cookie } of sessions.slice(1)) expect((await call(server.url, '/api/auth/me', { cookie })).status).toBe(200)
    expect({ parses: messages.parses(), roundTrips: messages.roundTrips() }).toEqual({ parses: 0, roundTrips: 2 })

    messages.reset()
    for (const { cookie } of sessions.slice(1)) expect(await (await call(server.url, '/api/auth/logout', { method: 'POST', cookie })).json()).toBe(true)
    expect({ parses: messages.parses(), roundTrips: messages.roundTrips() }).toEqual({ parses: 0, roundTrips: 2 })
  }, 60_000)
})
