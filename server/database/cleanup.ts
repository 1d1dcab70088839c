import { inArray, lte } from 'drizzle-orm'
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
  const batch = db.select({ id: sessionTable.id }).from(sessionTable).where(lte(sessionTable.expiresAt, toTime(now))).limit(batchSize)
  return db.delete(sessionTable).where(inArray(sessionTable.id, batch)).returning({ id: sessionTable.id })
}

/** Deletes expired throttling counters (rate_limit.expire is epoch milliseconds in both dialects), likewise in batches. */
export function deleteExpiredRateLimits(store: Store, { batchSize = 100, now = new Date() } = {}): Promise<CleanupReport> {
  const { db, rateLimitTable } = store
  return deleteInBatches(batchSize, async () => {
    const batch = db.select({ key: rateLimitTable.key }).from(rateLimitTable).where(lte(rateLimitTable.expire, now.getTime())).limit(batchSize)
    return (await db.delete(rateLimitTable).where(inArray(rateLimitTable.key, batch)).returning({ key: rateLimitTable.key })).length
  })
}

/** Deletes security events older than the retention period, in batches as above (index on created_at). */
export function deleteOldSecurityEvents(store: Store, { batchSize = 100, now = new Date() } = {}): Promise<CleanupReport> {
  const { db, securityEventTable, toTime } = store
  const cutoff = toTime(new Date(now.getTime() - SECURITY_EVENT_RETENTION_DAYS * DAY_MS))
  return deleteInBatches(batchSize, async () => {
    const batch = db.select({ id: securityEventTable.id }).from(securityEventTable).where(lte(securityEventTable.createdAt, cutoff)).limit(batchSize)
    return (await db.delete(securityEventTable).where(inArray(securityEventTable.id, batch)).returning({ id: securityEventTable.id })).length
  })
}

/** Deletes expired password-reset tokens, in batches as above (index on expires_at). */
export function deleteExpiredPasswordResets(store: Store, { batchSize = 100, now = new Date() } = {}): Promise<CleanupReport> {
  const { db, passwordResetTable, toTime } = store
  return deleteInBatches(batchSize, async () => {
    const batch = db.select({ id: passwordResetTable.id }).from(passwordResetTable).where(lte(passwordResetTable.expiresAt, toTime(now))).limit(batchSize)
    return (await db.delete(passwordResetTable).where(inArray(passwordResetTable.id, batch)).returning({ id: passwordResetTable.id })).length
  })
}

/** Forgets why sessions ended once that is older than the retention period, in batches as above (index on ended_at). */
export function deleteOldSessionEnds(store: Store, { batchSize = 100, now = new Date() } = {}): Promise<CleanupReport> {
  const { db, sessionEndTable, toTime } = store
  const cutoff = toTime(new Date(now.getTime() - SESSION_END_RETENTION_DAYS * DAY_MS))
  return deleteInBatches(batchSize, async () => {
    const batch = db.select({ publicId: sessionEndTable.publicId }).from(sessionEndTable).where(lte(sessionEndTable.endedAt, cutoff)).limit(batchSize)
    return (await db.delete(sessionEndTable).where(inArray(sessionEndTable.publicId, batch)).returning({ publicId: sessionEndTable.publicId })).length
  })
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
