import { createHash, randomBytes } from 'node:crypto'
import type { H3Event } from 'h3'

/**
 * Brute-force protection for login: at most `loginMaxFailures` failed attempts per email and per
 * client address within `loginWindowSeconds`, then 429 with Retry-After.
 *
 * Attempts are counted in Nitro storage (memory by default, Redis when configured; see
 * server/plugins/login-throttle.ts), so instances sharing Redis share the count. Each attempt
 * is its own key, written *before* the password is checked and removed if it succeeds: storage
 * has no atomic increment, and this way concurrent attempts see each other instead of racing a
 * read-modify-write counter.
 */

export const ATTEMPT_STORAGE = 'auth-attempts'

type Subject = readonly [kind: 'email' | 'ip', key: string]

export async function startLoginAttempt(event: H3Event, email: string) {
  const { loginMaxFailures, loginWindowSeconds } = useRuntimeConfig().auth
  const storage = useStorage(ATTEMPT_STORAGE)
  const now = Date.now()
  const subjects: Subject[] = [['email', hashed(email)], ['ip', hashed(clientAddress(event))]]
  const keys = subjects.map(([kind, key]) => `${kind}:${key}:${now}:${randomBytes(6).toString('hex')}`)
  await Promise.all(keys.map(key => storage.setItem(key, now, { ttl: loginWindowSeconds })))

  const windowStart = now - loginWindowSeconds * 1000
  await sweepMemoryStorage(now, windowStart)
  let retryAfterMs = 0
  for (const [kind, key] of subjects) {
    const times = await attemptTimes(`${kind}:${key}`, windowStart)
    // Includes this attempt: blocked once the earlier ones reached the limit.
    if (times.length > loginMaxFailures) retryAfterMs = Math.max(retryAfterMs, times[0]! + loginWindowSeconds * 1000 - now)
  }
  if (retryAfterMs > 0) {
    // A refused attempt is not counted, so hammering does not extend the lockout.
    await Promise.all(keys.map(key => storage.removeItem(key)))
    setResponseHeader(event, 'retry-after', Math.max(1, Math.ceil(retryAfterMs / 1000)))
    throw createError({ statusCode: 429, statusMessage: 'Too Many Requests', message: 'Too many failed login attempts. Try again later.' })
  }
  return {
    /** The credentials held: this attempt is not a failure. */
    succeeded: () => Promise.all(keys.map(key => storage.removeItem(key))),
  }
}

let nextSweepAt = 0

/**
 * Nitro's default memory storage has no TTL, and a subject's keys are only pruned when that
 * subject tries again: every email tried once would stay in memory for good. So, at most once a
 * minute, drop every attempt the window has left behind. (Redis expires keys by itself.)
 */
async function sweepMemoryStorage(now: number, windowStart: number) {
  if (useRuntimeConfig().auth.rateLimitRedisUrl || now < nextSweepAt) return
  nextSweepAt = now + 60_000
  await attemptTimes('', windowStart)
}

/** Start times of the attempts under `prefix` (a subject, or '' for all) in the window, oldest first; expired keys are dropped. */
async function attemptTimes(prefix: string, windowStart: number): Promise<number[]> {
  const storage = useStorage(ATTEMPT_STORAGE)
  const times: number[] = []
  for (const key of await storage.getKeys(prefix)) {
    const time = Number(key.split(':')[2])
    // The memory driver has no TTL; drop what the window has left behind.
    if (time > windowStart) times.push(time)
    else await storage.removeItem(key)
  }
  return times.sort((a, b) => a - b)
}

/**
 * The client's address: the socket's peer, or with NUXT_AUTH_TRUST_PROXY=true the last
 * X-Forwarded-For entry, the one the trusted proxy itself added (earlier ones are the client's
 * to forge).
 */
export function clientAddress(event: H3Event): string {
  if (useRuntimeConfig().auth.trustProxy === true) {
    const forwarded = getRequestHeader(event, 'x-forwarded-for')?.split(',').map(s => s.trim()).filter(Boolean).at(-1)
    if (forwarded) return forwarded
  }
  return event.node.req.socket.remoteAddress ?? 'unknown'
}

/** Storage keys never hold an email or an address as such. */
function hashed(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 32)
}
