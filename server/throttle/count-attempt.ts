import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible'

/** How many attempts a throttle allows per email and per client address within its window. */
export interface ThrottleLimits {
  /** Attempts per email in the window; without it, emails are not counted. */
  perEmail?: number
  /** Attempts per client address in the window; without it, addresses are not counted. */
  perAddress?: number
  windowSeconds: number
}

/** One counter an attempt is counted on: a limiter and the subject's key in it. */
export interface Counter {
  limiter: RateLimiterAbstract
  key: string
}

/** Either the attempt may go ahead (`refund` takes it back off every counter), or it was refused. */
export type AttemptOutcome = { refused: false, refund: () => Promise<void> } | { refused: true, retryAfterSeconds: number }

/**
 * Counts one attempt on every counter at once, before the attempt is checked, so that attempts
 * in flight see each other: the stores increment atomically, and the attempt that takes a
 * counter past its limit is refused however many run together. A refused attempt is taken back
 * off every counter, so hammering neither extends a lockout nor counts against the subjects
 * that were not locked out. A store that fails throws (the request fails; the count it may have
 * left errs on the side of throttling).
 */
export async function countAttempt(counters: Counter[]): Promise<AttemptOutcome> {
  // A subject already locked out is refused on a read, with nothing written: most of a flood
  // of guesses ends here, without the increment and its refund (a write each, on the database).
  const current = await Promise.all(counters.map(({ limiter, key }) => limiter.get(key)))
  const lockedOut = current.filter((res, i): res is RateLimiterRes => res !== null && res.consumedPoints >= counters[i]!.limiter.points)
  if (lockedOut.length) return { refused: true, retryAfterSeconds: retryAfterSeconds(lockedOut) }

  const results = await Promise.allSettled(counters.map(({ limiter, key }) => limiter.consume(key)))
  // Imported when first needed, as in throttle.ts: the package's index loads every limiter it has.
  const { RateLimiterRes } = await import('rate-limiter-flexible')
  const refused: RateLimiterRes[] = []
  for (const result of results) {
    if (result.status === 'fulfilled') continue
    if (!(result.reason instanceof RateLimiterRes)) throw result.reason
    refused.push(result.reason)
  }
  const refund = async () => {
    await Promise.all(counters.map(({ limiter, key }) => limiter.reward(key, 1)))
  }
  if (!refused.length) return { refused: false, refund }
  await refund()
  return { refused: true, retryAfterSeconds: retryAfterSeconds(refused) }
}

/** Until the last of these windows is over, in whole seconds, at least 1. */
function retryAfterSeconds(windows: RateLimiterRes[]): number {
  return Math.max(1, Math.ceil(Math.max(...windows.map(res => res.msBeforeNext)) / 1000))
}

export type Subject = 'email' | 'address'

/** What one of a throttle's limiters counts: its subject, and its options for rate-limiter-flexible. */
export interface LimiterSpec {
  subject: Subject
  keyPrefix: string
  points: number
  duration: number
}

/** The limiters a throttle named `name` needs for `limits`: one per subject it counts. */
export function limiterSpecs(name: string, limits: ThrottleLimits): LimiterSpec[] {
  const perSubject: Array<[Subject, number | undefined]> = [['email', limits.perEmail], ['address', limits.perAddress]]
  return perSubject.flatMap(([subject, points]) => points === undefined ? [] : [{ subject, keyPrefix: `${name}:${subject}`, points, duration: limits.windowSeconds }])
}
