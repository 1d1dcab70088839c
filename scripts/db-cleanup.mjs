// `npm run db:cleanup`: delete expired sessions and security events older than 90 days from the
// database DATABASE_URL names, with the same functions the scheduled db:cleanup task runs.
// Prints one JSON line: `{ sessions, securityEvents }`, each `{ deleted, batches, longestBatchMs }`.
import { importServerModule } from './server-modules.mjs'

const { useStore, closeStore } = await importServerModule('utils/db.ts')
const { deleteExpiredSessions, deleteOldSecurityEvents } = await importServerModule('database/cleanup.ts')
try {
  const store = await useStore()
  const sessions = await deleteExpiredSessions(store)
  const securityEvents = await deleteOldSecurityEvents(store)
  console.log(JSON.stringify({ sessions, securityEvents }))
}
finally {
  await closeStore()
}
