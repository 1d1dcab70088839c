import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible'
import { describe, expect, it } from 'vitest'
import { countAttempt, limiterSpecs, type Subject, type ThrottleLimits } from '../../server/throttle/count-attempt'
import { PASSWORD_RESET_CONFIRM_LIMITS, PASSWORD_RESET_REQUEST_LIMITS } from '../../server/throttle/limits'

/** A throttle as server/utils/throttle.ts builds it, on rate-limiter-flexible's memory store. */
function throttle(limits: ThrottleLimits) {
  const limiters = limiterSpecs('test', limits).map(({ subject, ...options }) => [subject, new RateLimiterMemory(options)] as [Subject, RateLimiterAbstract])
  return (subjects: { email?: string, address: string }) =>
    countAttempt(limiters.map(([subject, limiter]) => ({ limiter, key: subject === 'email' ? subjects.email! : subjects.address })))
}

/** How many of `count` attempts made one after the other go ahead. */
async function allowed(count: number, attempt: (i: number) => ReturnType<ReturnType<typeof throttle>>) {
  let ahead = 0
  for (let i = 0; i < count; i++) if (!(await attempt(i)).refused) ahead++
  return ahead
}

describe('countAttempt', () => {
  it('lets exactly the limit through when 20 attempts run at once', async () => {
    const count = throttle({ perEmail: 3, perAddress: 10, windowSeconds: 900 })
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => count({ email: 'a', address: '127.0.0.1' })))
    expect(outcomes.filter(o => !o.refused)).toHaveLength(3)
    // The 17 refused ones were taken back off the address: 7 of its 10 are left.
    expect(await allowed(20, i => count({ email: `other-${i}`, address: '127.0.0.1' }))).toBe(7)
  })

  it('counts per email and per address apart', async () => {
    const count = throttle({ perEmail: 2, perAddress: 5, windowSeconds: 900 })
    expect(await allowed(4, () => count({ email: 'a', address: '127.0.0.2' }))).toBe(2)
    // The two refused attempts did not count on the address: 3 of its 5 are left.
    expect(await allowed(10, i => count({ email: `other-${i}`, address: '127.0.0.2' }))).toBe(3)
    // Another address is not affected, and a locked-out email stays locked out from it.
    expect((await count({ email: 'fresh', address: '127.0.0.3' })).refused).toBe(false)
    expect((await count({ email: 'a', address: '127.0.0.3' })).refused).toBe(true)
  })

  it('takes back an attempt that is refunded', async () => {
    const count = throttle({ perEmail: 2, perAddress: 2, windowSeconds: 900 })
    for (let i = 0; i < 5; i++) {
      const outcome = await count({ email: 'a', address: '127.0.0.4' })
      expect(outcome.refused).toBe(false)
      if (!outcome.refused) await outcome.refund()
    }
  })

  it('answers Retry-After as the time left in the window, which refused attempts do not extend', async () => {
    const count = throttle({ perEmail: 1, windowSeconds: 900 })
    await count({ email: 'a', address: '' })
    const first = await count({ email: 'a', address: '' })
    expect(first).toEqual({ refused: true, retryAfterSeconds: 900 })
    for (let i = 0; i < 5; i++) await count({ email: 'a', address: '' })
    const later = await count({ email: 'a', address: '' })
    expect(later.refused && later.retryAfterSeconds).toBeLessThanOrEqual(first.refused ? first.retryAfterSeconds : 0)
  })
})

describe('the password-reset throttles', () => {
  it('allows 5 requests per email and 20 per address in 900 s', async () => {
    expect(PASSWORD_RESET_REQUEST_LIMITS.windowSeconds).toBe(900)
    const perEmail = throttle(PASSWORD_RESET_REQUEST_LIMITS)
    expect(await allowed(8, i => perEmail({ email: 'a', address: `10.0.0.${i}` }))).toBe(5)
    const perAddress = throttle(PASSWORD_RESET_REQUEST_LIMITS)
    expect(await allowed(30, i => perAddress({ email: `user-${i}`, address: '10.0.0.1' }))).toBe(20)
  })

  it('allows 10 failed confirmations per address in 900 s, and does not count per email', async () => {
    expect(PASSWORD_RESET_CONFIRM_LIMITS.windowSeconds).toBe(900)
    expect(limiterSpecs('confirm', PASSWORD_RESET_CONFIRM_LIMITS).map(spec => spec.subject)).toEqual(['address'])
    const count = throttle(PASSWORD_RESET_CONFIRM_LIMITS)
    expect(await allowed(15, () => count({ address: '10.0.0.1' }))).toBe(10)
  })
})
