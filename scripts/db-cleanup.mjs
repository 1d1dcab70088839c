// `npm run db:cleanup`: delete expired sessions from the database DATABASE_URL names, with the
// same function the scheduled db:cleanup task runs.
import { importServerModule } from './server-modules.mjs'

const { useStore, closeStore } = await importServerModule('utils/db.ts')
const { deleteExpiredSessions } = await importServerModule('database/cleanup.ts')
try {
  const report = await deleteExpiredSessions(await useStore())
  console.log(JSON.stringify(report))
}
finally {
  await closeStore()
}
