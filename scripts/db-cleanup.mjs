// `npm run db:cleanup`: delete expired sessions and password-reset tokens from the database
// DATABASE_URL names, with the same functions the scheduled db:cleanup task runs.
import { importServerModule } from './server-modules.mjs'

const { useStore, closeStore } = await importServerModule('utils/db.ts')
const { deleteExpiredSessions, deleteExpiredPasswordResets } = await importServerModule('database/cleanup.ts')
try {
  const store = await useStore()
  const sessions = await deleteExpiredSessions(store)
  const passwordResets = await deleteExpiredPasswordResets(store)
  console.log(JSON.stringify({ sessions, passwordResets }))
}
finally {
  await closeStore()
}
