// Loads the server's TypeScript modules outside a Nitro build (for scripts and benchmarks): jiti
// compiles them, and the aliases stand in for the virtual modules Nitro makes at build time.
import { fileURLToPath } from 'node:url'
import { createJiti } from 'jiti'

const path = relative => fileURLToPath(new URL(relative, import.meta.url))
const jiti = createJiti(import.meta.url, {
  alias: {
    '#migrations/sqlite': path('./migrations-sqlite.mjs'),
    '#migrations/postgres': path('./migrations-postgres.mjs'),
    '#database/sqlite': path('../server/database/sqlite.ts'),
  },
})

/** A module under server/, e.g. `utils/db.ts`. */
export const importServerModule = module => jiti.import(path(`../server/${module}`))
