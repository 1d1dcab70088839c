// #migrations/sqlite outside a Nitro build: read from drizzle/sqlite on disk (see server-modules.mjs).
import { fileURLToPath } from 'node:url'
import { readMigrationFiles } from 'drizzle-orm/migrator'

export default readMigrationFiles({ migrationsFolder: fileURLToPath(new URL('../drizzle/sqlite', import.meta.url)) })
