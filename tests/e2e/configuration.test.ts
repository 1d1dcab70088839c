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
})
