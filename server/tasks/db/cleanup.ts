import { deleteExpiredSessions, deleteOldSecurityEvents, SECURITY_EVENT_RETENTION_DAYS } from '../../database/cleanup'

/** Scheduled in nuxt.config.ts (nitro.scheduledTasks); `npm run db:cleanup` runs the same work. */
export default defineTask({
  meta: { name: 'db:cleanup', description: 'Delete expired sessions and security events older than 90 days, in bounded batches' },
  async run() {
    const store = await useStore()
    const sessions = await deleteExpiredSessions(store)
    console.info(`[db:cleanup] deleted ${sessions.deleted} expired sessions in ${sessions.batches} batches (longest ${sessions.longestBatchMs.toFixed(1)} ms)`)
    const securityEvents = await deleteOldSecurityEvents(store)
    console.info(`[db:cleanup] deleted ${securityEvents.deleted} security events older than ${SECURITY_EVENT_RETENTION_DAYS} days in ${securityEvents.batches} batches (longest ${securityEvents.longestBatchMs.toFixed(1)} ms)`)
    return { result: { sessions, securityEvents } }
  },
})
