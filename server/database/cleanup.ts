import { inArray, lte } from 'drizzle-orm'
import type { Store } from './store'

export interface CleanupReport {
  deleted: number
  batches: number
  /** The longest single batch, i.e. the longest the event loop was held (SQLite runs synchronously). */
  longestBatchMs: number
}

export interface CleanupOptions {
  batchSize?: number
  now?: Date
}

/** Deletes expired sessions in bounded batches (see deleteExpiredRows). */
export function deleteExpiredSessions(store: Store, options: CleanupOptions = {}): Promise<CleanupReport> {
  return deleteExpiredRows(store, store.sessionTable, options)
}

/** Deletes expired password-reset tokens in bounded batches (see deleteExpiredRows). */
export function deleteExpiredPasswordResets(store: Store, options: CleanupOptions = {}): Promise<CleanupReport> {
  return deleteExpiredRows(store, store.passwordResetTable, options)
}

/**
 * Deletes a table's expired rows in batches of `batchSize`, each an index range scan on
 * expires_at, yielding to the event loop between batches: a table of a million expired rows is
 * cleaned without holding up requests for more than one batch at a time.
 */
async function deleteExpiredRows(
  { db, toTime }: Store,
  table: Store['sessionTable'] | Store['passwordResetTable'],
  { batchSize = 100, now = new Date() }: CleanupOptions,
): Promise<CleanupReport> {
  const report: CleanupReport = { deleted: 0, batches: 0, longestBatchMs: 0 }
  for (;;) {
    const started = performance.now()
    const batch = db.select({ id: table.id }).from(table).where(lte(table.expiresAt, toTime(now))).limit(batchSize)
    const deleted = await db.delete(table).where(inArray(table.id, batch)).returning({ id: table.id })
    report.longestBatchMs = Math.max(report.longestBatchMs, performance.now() - started)
    report.batches++
    report.deleted += deleted.length
    if (deleted.length < batchSize) return report
    await new Promise(resolve => setImmediate(resolve))
  }
}
