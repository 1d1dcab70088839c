import { describe, expect, it } from 'vitest'
import { effectiveExpiry, initialExpiry, isSessionActive, reauthenticatedUntil, slidExpiry, type SessionPolicy } from '../../server/utils/session-lifetime'

const DAY = 24 * 60 * 60 * 1000
const DEFAULTS: SessionPolicy = { idleMs: 30 * DAY, absoluteMs: 90 * DAY, reauthMs: 10 * 60 * 1000 }
const now = Date.UTC(2026, 11, 1, 12, 0, 0)
const daysAgo = (days: number) => new Date(now - days * DAY)
const inDays = (days: number) => new Date(now + days * DAY)

describe('session lifetime', () => {
  it('caps the expiry at 90 days from created_at, whatever is stored', () => {
    expect(effectiveExpiry(daysAgo(89), inDays(20), DEFAULTS)).toEqual(inDays(1))
    expect(effectiveExpiry(daysAgo(10), inDays(20), DEFAULTS)).toEqual(inDays(20))
  })

  it('a session 91 days old is not active even with an expiry ahead; 89 days old is', () => {
    expect(isSessionActive(daysAgo(91), inDays(20), now, DEFAULTS)).toBe(false)
    expect(isSessionActive(daysAgo(89), inDays(20), now, DEFAULTS)).toBe(true)
    // Idle expiry on its own.
    expect(isSessionActive(daysAgo(1), new Date(now - 1000), now, DEFAULTS)).toBe(false)
  })

  it('slides in the second half of the idle time, never past the cap', () => {
    // Young: a full 30 days.
    expect(slidExpiry(daysAgo(20), inDays(10), now, DEFAULTS)).toEqual(inDays(30))
    // 80 days old: to the cap, 10 days on.
    expect(slidExpiry(daysAgo(80), inDays(5), now, DEFAULTS)).toEqual(inDays(10))
    // First half: nothing to write.
    expect(slidExpiry(daysAgo(1), inDays(29), now, DEFAULTS)).toBeNull()
    // Already at the cap: nothing to write, however often it is used.
    expect(slidExpiry(daysAgo(89), inDays(1), now, DEFAULTS)).toBeNull()
    // Stored past the cap (written before it existed): brought back to it.
    expect(slidExpiry(daysAgo(89), inDays(20), now, DEFAULTS)).toEqual(inDays(1))
  })

  it('follows the configured days, and a new session never outlives an absolute lifetime shorter than the idle time', () => {
    const short: SessionPolicy = { idleMs: 2 * DAY, absoluteMs: 3 * DAY, reauthMs: 60_000 }
    expect(initialExpiry(new Date(now), short)).toEqual(inDays(2))
    expect(slidExpiry(daysAgo(2.5), inDays(0.2), now, short)).toEqual(inDays(0.5))
    expect(initialExpiry(new Date(now), { ...short, absoluteMs: 1 * DAY })).toEqual(inDays(1))
  })

  it('counts a session as recently authenticated for the window from its start', () => {
    expect(reauthenticatedUntil(new Date(now), DEFAULTS)).toEqual(new Date(now + 10 * 60 * 1000))
  })
})
