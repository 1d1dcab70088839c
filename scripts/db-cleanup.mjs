// `npm run db:cleanup`: delete expired sessions, throttling counters and password-reset tokens,
// security events older than 90 days and reasons of sessions ended over 30 days ago, from the
// database DATABASE_URL names, with the same function the scheduled db:cleanup task runs.
// Prints one JSON line: `{ sessions, securityEvents, rateLimits, passwordResets, sessionEnds }`,
// each `{ deleted, batches, longestBatchMs }`.
import { importServerModule } from './server-modules.mjs'

const { useStore, closeStore } = await importServerModule('utils/db.ts')
const { runCleanup } = await importServerModule('database/cleanup.ts')
try {
  console.log(JSON.stringify(await runCleanup(await useStore())))
}
finally {
  await closeStore()
}
