import { deleteExpiredSessions } from '../../database/cleanup'

/** Scheduled in nuxt.config.ts (nitro.scheduledTasks); `npm run db:cleanup` runs the same work. */
export default defineTask({
  meta: { name: 'db:cleanup', description: 'Delete expired sessions in bounded batches' },
  async run() {
    const report = await deleteExpiredSessions(await useStore())
    console.info(`[db:cleanup] deleted ${report.deleted} expired sessions in ${report.batches} batches (longest ${report.longestBatchMs.toFixed(1)} ms)`)
    return { result: report }
  },
})
