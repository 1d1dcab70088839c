// `npm run db:cleanup`: delete expired sessions and throttling counters from the database DATABASE_URL names, with the
// same function the scheduled db:cleanup task runs.
import { importServerModule } from './server-modules.mjs'

const { useStore, closeStore } = await importServerModule('utils/db.ts')
const { deleteExpiredRateLimits, deleteExpiredSessions } = await importServerModule('database/cleanup.ts')
try {
  const store = await useStore()
  const sessions = await deleteExpiredSessions(store)
  const rateLimits = await deleteExpiredRateLimits(store)
  console.log(JSON.stringify({ ...sessions, rateLimits }))
}
finally {
  await closeStore()
}
