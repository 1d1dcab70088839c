import { describe, expect, it } from 'vitest'
import { parseAuthSettings } from '../../server/utils/auth-settings'

const DEFAULTS = { sessionIdleDays: 30, sessionAbsoluteDays: 90, reauthMinutes: 10, loginMaxFailures: 10, loginWindowSeconds: 900 }

describe('auth settings', () => {
  it('takes numbers, and numeric strings as Nuxt may hand them over', () => {
    expect(parseAuthSettings(DEFAULTS)).toEqual(DEFAULTS)
    expect(parseAuthSettings({ ...DEFAULTS, sessionIdleDays: '0.5', loginMaxFailures: ' 3 ' })).toEqual({ ...DEFAULTS, sessionIdleDays: 0.5, loginMaxFailures: 3 })
  })

  it.each([
    ['sessionIdleDays', 'abc', 'NUXT_AUTH_SESSION_IDLE_DAYS'],
    ['sessionAbsoluteDays', 0, 'NUXT_AUTH_SESSION_ABSOLUTE_DAYS'],
    ['reauthMinutes', '', 'NUXT_AUTH_REAUTH_MINUTES'],
    ['reauthMinutes', true, 'NUXT_AUTH_REAUTH_MINUTES'],
    ['loginMaxFailures', 2.5, 'NUXT_AUTH_LOGIN_MAX_FAILURES'],
    ['loginWindowSeconds', '-900', 'NUXT_AUTH_LOGIN_WINDOW_SECONDS'],
    ['loginWindowSeconds', 'Infinity', 'NUXT_AUTH_LOGIN_WINDOW_SECONDS'],
    // A lifetime past what a Date can hold would make every session inactive.
    ['sessionAbsoluteDays', '1e9', 'NUXT_AUTH_SESSION_ABSOLUTE_DAYS'],
    ['sessionIdleDays', 36_501, 'NUXT_AUTH_SESSION_IDLE_DAYS'],
    ['loginMaxFailures', '0x10', 'NUXT_AUTH_LOGIN_MAX_FAILURES'],
  ])('refuses %s = %j, naming %s', (key, value, variable) => {
    expect(() => parseAuthSettings({ ...DEFAULTS, [key]: value })).toThrow(new RegExp(`^Invalid configuration: ${variable} must be`))
  })

  it('names every bad setting at once', () => {
    expect(() => parseAuthSettings({ ...DEFAULTS, sessionIdleDays: 'x', loginMaxFailures: 'y' }))
      .toThrow('Invalid configuration: NUXT_AUTH_SESSION_IDLE_DAYS must be a number of days above 0 and at most 36500, not "x"; NUXT_AUTH_LOGIN_MAX_FAILURES must be a whole number of failed attempts above 0 and at most 1000000, not "y"')
  })

  it('takes the largest values, and shows a long bad value cut short', () => {
    expect(parseAuthSettings({ ...DEFAULTS, sessionAbsoluteDays: 36_500, loginMaxFailures: 1_000_000 })).toEqual({ ...DEFAULTS, sessionAbsoluteDays: 36_500, loginMaxFailures: 1_000_000 })
    expect(() => parseAuthSettings({ ...DEFAULTS, reauthMinutes: 'x'.repeat(100) })).toThrow(`not "${'x'.repeat(40)}…"`)
  })
})
