import { deleteExpiredPasswordResets, deleteExpiredSessions } from '../../database/cleanup'

/** Scheduled in nuxt.config.ts (nitro.scheduledTasks); `npm run db:cleanup` runs the same work. */
export default defineTask({
  meta: { name: 'db:cleanup', description: 'Delete expired sessions and password-reset tokens in bounded batches' },
  async run() {
    const store = await useStore()
    const sessions = await deleteExpiredSessions(store)
    console.info(`[db:cleanup] deleted ${sessions.deleted} expired sessions in ${sessions.batches} batches (longest ${sessions.longestBatchMs.toFixed(1)} ms)`)
    const passwordResets = await deleteExpiredPasswordResets(store)
    console.info(`[db:cleanup] deleted ${passwordResets.deleted} expired password-reset tokens in ${passwordResets.batches} batches (longest ${passwordResets.longestBatchMs.toFixed(1)} ms)`)
    return { result: { sessions, passwordResets } }
  },
})
