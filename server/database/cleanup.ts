import { inArray, lte } from 'drizzle-orm'
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core'
import type { Store } from './store'

export interface CleanupReport {
  deleted: number
  batches: number
  /** The longest single batch, i.e. the longest the event loop was held (SQLite runs synchronously). */
  longestBatchMs: number
}

/** How long stored security events are kept (contract: "Security activity"). */
export const SECURITY_EVENT_RETENTION_DAYS = 90

/** How long why a session ended is remembered (contract: "at least 30 days"). */
export const SESSION_END_RETENTION_DAYS = 30

const DAY_MS = 24 * 60 * 60 * 1000

/**
 * Deletes expired sessions in batches of `batchSize`, each an index range scan on expires_at,
 * yielding to the event loop between batches: a table of a million expired rows is cleaned
 * without holding up requests for more than one batch at a time.
 */
export function deleteExpiredSessions(store: Store, { batchSize = 100, now = new Date() } = {}): Promise<CleanupReport> {
  return deleteInBatches(batchSize, async () => (await deleteExpiredBatch(store, now, batchSize)).length)
}

/** One batch: up to `batchSize` sessions expired at `now`, deleted; the query is its own so its plan can be checked. */
export function deleteExpiredBatch({ db, sessionTable, toTime }: Store, now: Date, batchSize: number) {
  return deleteBatchUpTo(db, sessionTable, sessionTable.id, sessionTable.expiresAt, toTime(now), batchSize)
}

/** Deletes expired throttling counters (rate_limit.expire is epoch milliseconds in both dialects), likewise in batches. */
export function deleteExpiredRateLimits({ db, rateLimitTable }: Store, { batchSize = 100, now = new Date() } = {}): Promise<CleanupReport> {
  return deleteInBatches(batchSize, async () => (await deleteBatchUpTo(db, rateLimitTable, rateLimitTable.key, rateLimitTable.expire, now.getTime(), batchSize)).length)
}

/** Deletes security events older than the retention period, in batches as above (index on created_at). */
export function deleteOldSecurityEvents({ db, securityEventTable, toTime }: Store, { batchSize = 100, now = new Date() } = {}): Promise<CleanupReport> {
  const cutoff = toTime(new Date(now.getTime() - SECURITY_EVENT_RETENTION_DAYS * DAY_MS))
  return deleteInBatches(batchSize, async () => (await deleteBatchUpTo(db, securityEventTable, securityEventTable.id, securityEventTable.createdAt, cutoff, batchSize)).length)
}

/** Deletes expired password-reset tokens, in batches as above (index on expires_at). */
export function deleteExpiredPasswordResets({ db, passwordResetTable, toTime }: Store, { batchSize = 100, now = new Date() } = {}): Promise<CleanupReport> {
  return deleteInBatches(batchSize, async () => (await deleteBatchUpTo(db, passwordResetTable, passwordResetTable.id, passwordResetTable.expiresAt, toTime(now), batchSize)).length)
}

/** Forgets why sessions ended once that is older than the retention period, in batches as above (index on ended_at). */
export function deleteOldSessionEnds({ db, sessionEndTable, toTime }: Store, { batchSize = 100, now = new Date() } = {}): Promise<CleanupReport> {
  const cutoff = toTime(new Date(now.getTime() - SESSION_END_RETENTION_DAYS * DAY_MS))
  return deleteInBatches(batchSize, async () => (await deleteBatchUpTo(db, sessionEndTable, sessionEndTable.publicId, sessionEndTable.endedAt, cutoff, batchSize)).length)
}

/**
 * One batch of any of the above: up to `batchSize` rows of `table` whose `time` is at most
 * `cutoff` (a range scan of that column's index), deleted by their `key`.
 */
function deleteBatchUpTo(db: Store['db'], table: SQLiteTable, key: SQLiteColumn, time: SQLiteColumn, cutoff: number, batchSize: number) {
  const batch = db.select({ key }).from(table).where(lte(time, cutoff)).limit(batchSize)
  return db.delete(table).where(inArray(key, batch)).returning({ key })
}

/** Every cleanup, one after the other: what the scheduled task and `npm run db:cleanup` run. */
export async function runCleanup(store: Store) {
  return {
    sessions: await deleteExpiredSessions(store),
    securityEvents: await deleteOldSecurityEvents(store),
    rateLimits: await deleteExpiredRateLimits(store),
    passwordResets: await deleteExpiredPasswordResets(store),
    sessionEnds: await deleteOldSessionEnds(store),
  }
}

/** Runs `deleteBatch` (which deletes up to `batchSize` rows) until a batch comes back short, yielding between batches. */
async function deleteInBatches(batchSize: number, deleteBatch: () => Promise<number>): Promise<CleanupReport> {
  const report: CleanupReport = { deleted: 0, batches: 0, longestBatchMs: 0 }
  for (;;) {
    const started = performance.now()
    const deleted = await deleteBatch()
    report.longestBatchMs = Math.max(report.longestBatchMs, performance.now() - started)
    report.batches++
    report.deleted += deleted
    if (deleted < batchSize) return report
    await new Promise(resolve => setImmediate(resolve))
  }
}
