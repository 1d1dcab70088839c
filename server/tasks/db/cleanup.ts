import { deleteExpiredRateLimits, deleteExpiredSessions } from '../../database/cleanup'

/** Scheduled in nuxt.config.ts (nitro.scheduledTasks); `npm run db:cleanup` runs the same work. */
export default defineTask({
  meta: { name: 'db:cleanup', description: 'Delete expired sessions and throttling counters in bounded batches' },
  async run() {
    const store = await useStore()
    const report = await deleteExpiredSessions(store)
    console.info(`[db:cleanup] deleted ${report.deleted} expired sessions in ${report.batches} batches (longest ${report.longestBatchMs.toFixed(1)} ms)`)
    const rateLimits = await deleteExpiredRateLimits(store)
    console.info(`[db:cleanup] deleted ${rateLimits.deleted} expired throttling counters in ${rateLimits.batches} batches (longest ${rateLimits.longestBatchMs.toFixed(1)} ms)`)
    return { result: report }
  },
})
