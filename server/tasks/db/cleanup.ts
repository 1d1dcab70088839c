import { runCleanup, SECURITY_EVENT_RETENTION_DAYS, SESSION_END_RETENTION_DAYS } from '../../database/cleanup'

const WHAT = {
  sessions: 'expired sessions',
  securityEvents: `security events older than ${SECURITY_EVENT_RETENTION_DAYS} days`,
  rateLimits: 'expired throttling counters',
  passwordResets: 'expired password-reset tokens',
  sessionEnds: `reasons of sessions ended over ${SESSION_END_RETENTION_DAYS} days ago`,
} as const

/** Scheduled in nuxt.config.ts (nitro.scheduledTasks); `npm run db:cleanup` runs the same work. */
export default defineTask({
  meta: { name: 'db:cleanup', description: 'Delete expired sessions, throttling counters, password-reset tokens and old security events, in bounded batches' },
  async run() {
    const report = await runCleanup(await useStore())
    for (const [table, { deleted, batches, longestBatchMs }] of Object.entries(report)) {
      console.info(`[db:cleanup] deleted ${deleted} ${WHAT[table as keyof typeof WHAT]} in ${batches} batches (longest ${longestBatchMs.toFixed(1)} ms)`)
    }
    return { result: report }
  },
})
