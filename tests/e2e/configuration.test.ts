import { describe, expect, it } from 'vitest'
import { startServer } from '../support/server'

describe('configuration', () => {
  it('a numeric NUXT_AUTH_* setting that is not a positive number stops the server at start, saying which', async () => {
    const started = startServer({ NUXT_AUTH_SESSION_IDLE_DAYS: 'thirty', NUXT_AUTH_LOGIN_WINDOW_SECONDS: '-1' })
    const error = await started.then(server => server.stop().then(() => null), (failure: Error) => failure)
    expect(error?.message).toMatch(/^server exited with 1 before listening:/)
    expect(error?.message).toContain('[config] Invalid configuration: NUXT_AUTH_SESSION_IDLE_DAYS must be a number of days above 0 and at most 36500, not "thirty"; NUXT_AUTH_LOGIN_WINDOW_SECONDS must be a whole number of seconds above 0 and at most 3153600000, not "-1"')
    // One line, no stack trace.
    expect(error?.message).not.toMatch(/\n\s+at /)
  })

  it('PostgreSQL pool settings out of range, or a DATABASE_URL of another scheme, stop the server at start, saying which', async () => {
    // Nothing listens on port 9: the check must come before any connection.
    const pool = await startServer({ DATABASE_URL: 'postgres://127.0.0.1:9/none', DATABASE_POOL_MAX: 'ten', DATABASE_CONNECT_TIMEOUT: '0' }).then(server => server.stop().then(() => null), (failure: Error) => failure)
    expect(pool?.message).toMatch(/^server exited with 1 before listening:/)
    expect(pool?.message).toContain('[config] Invalid configuration: DATABASE_POOL_MAX must be a whole number of connections above 0 and at most 1000, not "ten"; DATABASE_CONNECT_TIMEOUT must be a number of seconds above 0 and at most 3600, not "0"')
    const scheme = await startServer({ DATABASE_URL: 'mysql://127.0.0.1:9/none' }).then(server => server.stop().then(() => null), (failure: Error) => failure)
    expect(scheme?.message).toContain('[config] Invalid configuration: DATABASE_URL has an unsupported scheme, mysql: (use a SQLite path, file:, or postgres://)')
    for (const error of [pool, scheme]) expect(error?.message).not.toMatch(/\n\s+at /)
  })
})
