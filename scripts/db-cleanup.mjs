// `npm run db:cleanup`: delete expired sessions from the database DATABASE_URL names, with the
// server's own code (the same function the scheduled db:cleanup task runs). jiti loads the
// TypeScript sources; the aliases stand in for the modules Nitro builds at build time.
import { fileURLToPath } from 'node:url'
import { createJiti } from 'jiti'

const path = relative => fileURLToPath(new URL(relative, import.meta.url))
const jiti = createJiti(import.meta.url, {
  alias: {
    '#migrations/sqlite': path('./migrations-from-disk.mjs'),
    '#migrations/postgres': path('./migrations-from-disk.mjs'),
    '#database/sqlite': path('../server/database/sqlite.ts'),
  },
})

const { useStore, closeStore } = await jiti.import(path('../server/utils/db.ts'))
const { deleteExpiredSessions } = await jiti.import(path('../server/database/cleanup.ts'))
try {
  const report = await deleteExpiredSessions(await useStore())
  console.log(JSON.stringify(report))
}
finally {
  await closeStore()
}
