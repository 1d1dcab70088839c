import { inArray, lte } from 'drizzle-orm'
import type { Store } from './store'

export interface CleanupReport {
  deleted: number
  batches: number
  /** The longest single batch, i.e. the longest the event loop was held (SQLite runs synchronously). */
  longestBatchMs: number
}

/**
 * Deletes expired sessions in batches of `batchSize`, each an index range scan on expires_at,
 * yielding to the event loop between batches: a table of a million expired rows is cleaned
 * without holding up requests for more than one batch at a time.
 */
export async function deleteExpiredSessions(store: Store, { batchSize = 100, now = new Date() } = {}): Promise<CleanupReport> {
  const report: CleanupReport = { deleted: 0, batches: 0, longestBatchMs: 0 }
  for (;;) {
    const started = performance.now()
    const deleted = await deleteExpiredBatch(store, now, batchSize)
    report.longestBatchMs = Math.max(report.longestBatchMs, performance.now() - started)
    report.batches++
    report.deleted += deleted.length
    if (deleted.length < batchSize) return report
    await new Promise(resolve => setImmediate(resolve))
  }
}

/** One batch: up to `batchSize` sessions expired at `now`, deleted; the query is its own so its plan can be checked. */
export function deleteExpiredBatch({ db, sessionTable, toTime }: Store, now: Date, batchSize: number) {
  const batch = db.select({ id: sessionTable.id }).from(sessionTable).where(lte(sessionTable.expiresAt, toTime(now))).limit(batchSize)
  return db.delete(sessionTable).where(inArray(sessionTable.id, batch)).returning({ id: sessionTable.id })
}
