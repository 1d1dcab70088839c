import { hash } from 'node:crypto'
import type { H3Event } from 'h3'
import type postgres from 'postgres'
import type { RateLimiterAbstract, RateLimiterMemory } from 'rate-limiter-flexible'
import type { Redis } from 'ioredis'
import { countAttempt, limiterSpecs, type LimiterSpec, type Subject, type ThrottleLimits } from '../throttle/count-attempt'
import type { Store } from '../database/store'

/**
 * Throttles, on rate-limiter-flexible. Counters live in the app's own database (the rate_limit
 * table, in the same SQLite file or PostgreSQL database), so instances sharing a PostgreSQL
 * database share them; with NUXT_AUTH_RATE_LIMIT_REDIS_URL they live in Redis instead.
 */

export interface ThrottledAttempt {
  /** The attempt was not a failure: it no longer counts. */
  succeeded: () => Promise<void>
}

/**
 * Defines a throttle with counters of its own (named `name`), and returns the function that
 * counts a request on them: `await count(event, email)` answers 429 with Retry-After once a
 * limit is reached, and otherwise returns the attempt. Every request counts; for a throttle of
 * failures only, call `succeeded()` on success. `limits` may be a function, read on first use
 * (for limits from the runtime config). `email` is needed when the limits count per email.
 */
export function defineThrottle(name: string, limits: ThrottleLimits | (() => ThrottleLimits), message = 'Too many attempts. Try again later.') {
  let limiters: Promise<Array<[Subject, RateLimiterAbstract]>> | undefined
  return async (event: H3Event, email?: string): Promise<ThrottledAttempt> => {
    // A failed creation (the store could not be opened) is not kept: the next request retries.
    limiters ??= createLimiters(name, typeof limits === 'function' ? limits() : limits).catch((error: unknown) => {
      limiters = undefined
      throw error
    })
    const counters = (await limiters).map(([subject, limiter]) => {
      if (subject === 'email' && email === undefined) throw new Error(`throttle ${name}: counts per email, but no email was given`)
      return { limiter, key: hashed(subject === 'email' ? email! : clientAddress(event)) }
    })
    const outcome = await countAttempt(counters)
    if (outcome.refused) {
      setResponseHeader(event, 'retry-after', outcome.retryAfterSeconds)
      throw httpError({ statusCode: 429, statusMessage: 'Too Many Requests', message })
    }
    return { succeeded: outcome.refund }
  }
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

async function createLimiters(name: string, limits: ThrottleLimits): Promise<Array<[Subject, RateLimiterAbstract]>> {
  const limiters: Array<[Subject, RateLimiterAbstract]> = []
  for (const { subject, ...options } of limiterSpecs(name, limits)) limiters.push([subject, await createLimiter(options)])
  return limiters
}

type LimiterOptions = Omit<LimiterSpec, 'subject'>

type Limiters = typeof import('rate-limiter-flexible')

/**
 * rate-limiter-flexible is imported on first use, not at start: its index loads every limiter
 * it has (cluster, child_process and all), some 18 ms of every cold start (docs/benchmarks.md).
 */
async function createLimiter(options: LimiterOptions): Promise<RateLimiterAbstract> {
  const limiters = await import('rate-limiter-flexible')
  const { rateLimitRedisUrl, rateLimitPrefix } = useRuntimeConfig().auth
  if (rateLimitRedisUrl) {
    return new limiters.RateLimiterRedis({
      ...options,
      keyPrefix: `${rateLimitPrefix}:${options.keyPrefix}`,
      storeClient: await useRedis(rateLimitRedisUrl),
      // Redis down or slow: answer at once from this instance's own memory rather than wait
      // for it (docs/reliability.md, "Redis down").
      rejectIfRedisNotReady: true,
      insuranceLimiter: fallbackMemoryLimiter(limiters, options),
    })
  }
  return databaseLimiter(limiters, await useStore(), options)
}

/**
 * rate-limiter-flexible's store for the dialect, on the app's own connection, with the table
 * drizzle-kit migrated (tableCreated) and expired rows left to the db:cleanup task (one place,
 * which also runs where timers do not, as on Vercel). RateLimiterDrizzle would fit both dialects
 * but imports drizzle-orm itself by a name computed at run time, which the server bundle (with
 * drizzle-orm inlined) cannot resolve.
 */
function databaseLimiter({ RateLimiterSQLite, RateLimiterPostgres }: Limiters, store: Store, options: LimiterOptions): RateLimiterAbstract {
  const table = { tableName: 'rate_limit', tableCreated: true, clearExpiredByTimeout: false }
  if (store.dialect === 'sqlite') {
    return new RateLimiterSQLite({ ...options, ...table, storeClient: reusingStatements(store), storeType: 'better-sqlite3' })
  }
  // RateLimiterPostgres speaks to a `pg` pool; postgres-js runs the same parameterised SQL.
  const sql = driverClient<postgres.Sql>(store)
  const pool = {
    query: async ({ text, values }: { text: string, values: postgres.ParameterOrJSON<never>[] }) => {
      const rows = await sql.unsafe(text, values)
      return { rows, rowCount: rows.count }
    },
  }
  return new RateLimiterPostgres({ ...options, ...table, storeClient: pool, storeType: 'pool' })
}

/**
 * The store's SQLite connection as RateLimiterSQLite sees it, with `prepare` answering the
 * statement it made before for the same SQL. The limiter prepares its statement on every call,
 * which was two thirds of a counted attempt: 90 against 30 µs in a loop (docs/benchmarks.md),
 * twice per log-in (one counter per email, one per address). It only ever sends a handful of
 * distinct SQL texts, and a better-sqlite3 statement can be run again and again. One per store,
 * so that every limiter shares the statements.
 */
const reusingStatements = oncePerStore((store) => {
  const statements = new Map<string, unknown>()
  return new Proxy(driverClient<{ prepare: (sql: string) => unknown }>(store), {
    get(target, key) {
      if (key === 'prepare') {
        return (sql: string) => {
          let statement = statements.get(sql)
          if (statement === undefined) statements.set(sql, statement = target.prepare(sql))
          return statement
        }
      }
      const value: unknown = Reflect.get(target, key)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
})

/** drizzle keeps the driver's own client on the database object (left out of AppDatabase's type). */
function driverClient<Client>(store: Store): Client {
  return (store.db as unknown as { $client: Client }).$client
}

let redis: Promise<Redis> | undefined
let lastRedisError: string | undefined
let fallbackReportedAt = 0

/**
 * One Redis connection for every throttle, made (and ioredis imported) on first use. No command
 * waits for Redis: none is queued while it is not connected, a command in flight gives up after
 * 500 ms, and reconnection goes on in the background, so a Redis that is down or stalled costs a
 * login no more than that before the limiter falls back to memory.
 */
function useRedis(url: string): Promise<Redis> {
  redis ??= import('ioredis').then(async ({ default: Redis }) => {
    const client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1000, commandTimeout: 500 })
    // Reported when a limiter falls back to memory (FallbackMemoryLimiter), not at every reconnection attempt.
    client.on('error', (error: Error) => {
      lastRedisError = error.message
    })
    client.on('ready', () => {
      if (lastRedisError) console.info('[throttle] Redis is back')
      lastRedisError = undefined
    })
    // Wait (briefly) for the first connection, so that the first attempts are counted in Redis.
    await Promise.race([client.connect().catch(() => {}), new Promise(resolve => setTimeout(resolve, 1000).unref())])
    return client
  }).catch((error: unknown) => {
    redis = undefined
    throw error
  })
  return redis
}

/**
 * What a Redis limiter counts in while Redis fails: this instance's memory, so that logins are
 * still answered and still throttled (per instance). Says so in the log, at most once a minute.
 */
function fallbackMemoryLimiter({ RateLimiterMemory: MemoryLimiter }: Limiters, options: LimiterOptions): RateLimiterMemory {
  class FallbackMemoryLimiter extends MemoryLimiter {
    override consume(...args: Parameters<RateLimiterMemory['consume']>) {
      reportFallback()
      return super.consume(...args)
    }

    override reward(...args: Parameters<RateLimiterMemory['reward']>) {
      reportFallback()
      return super.reward(...args)
    }
  }
  return new FallbackMemoryLimiter(options)
}

function reportFallback() {
  const now = Date.now()
  if (now - fallbackReportedAt < 60_000) return
  fallbackReportedAt = now
  console.error(`[throttle] Redis unavailable (${lastRedisError ?? 'no answer in time'}): counting attempts in this instance's memory until it is back`)
}

/** Counter keys never hold an email or an address as such. */
function hashed(value: string): string {
  return hash('sha256', value, 'hex').slice(0, 32)
}
