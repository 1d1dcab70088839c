// Outside a Nitro build, the migrations come from drizzle/ on disk (see scripts/db-cleanup.mjs).
import { fileURLToPath } from 'node:url'
import { readMigrationFiles } from 'drizzle-orm/migrator'
import { resolveDatabase } from '../server/database/config.ts'

const dialect = resolveDatabase(process.env.DATABASE_URL).dialect
export default readMigrationFiles({ migrationsFolder: fileURLToPath(new URL(`../drizzle/${dialect}`, import.meta.url)) })
