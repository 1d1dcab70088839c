import { describe, expect, it } from 'vitest'
import { describeActivity, timeAgo } from '../../utils/security-activity'

const NOW = Date.parse('2026-12-01T12:00:00.000Z')
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString()

describe('describeActivity', () => {
  it('says every stored event type in words, each differently', () => {
    const types = ['signup', 'login', 'login-failed', 'login-throttled', 'logout-all', 'session-revoked', 'reauthenticated',
      'reauthentication-failed', 'password-changed', 'password-reset-requested', 'password-reset']
    const words = types.map(describeActivity)
    expect(words).toEqual(['Account created', 'Signed in', 'Failed sign-in attempt', 'Sign-in blocked after too many failed attempts',
      'Signed out everywhere', 'Signed out another device', 'Confirmed password', 'Wrong password when confirming it',
      'Password changed', 'Password reset requested', 'Password reset by email'])
    expect(new Set(words).size).toBe(types.length)
  })

  it('shows a type it does not know as it is', () => {
    expect(describeActivity('something-new')).toBe('something-new')
  })
})

describe('timeAgo', () => {
  it.each([
    [0, 'just now'],
    [59, 'just now'],
    [60, '1 minute ago'],
    [150, '2 minutes ago'],
    [3599, '59 minutes ago'],
    [3600, '1 hour ago'],
    [5 * 3600, '5 hours ago'],
    [24 * 3600, 'yesterday'],
    [3 * 24 * 3600, '3 days ago'],
    [29 * 24 * 3600, '29 days ago'],
    [30 * 24 * 3600, 'last month'],
    [89 * 24 * 3600, '2 months ago'],
    [400 * 24 * 3600, 'last year'],
  ])('%i s before is "%s"', (seconds, text) => {
    expect(timeAgo(ago(seconds), NOW)).toBe(text)
  })

  it('says "just now" for a time slightly ahead of this clock (the server\'s and the browser\'s differ)', () => {
    expect(timeAgo(ago(-30), NOW)).toBe('just now')
  })
})
