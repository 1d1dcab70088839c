import { defineConfig } from 'drizzle-kit'
import { resolveDatabase } from './server/database/config'

// `npm run db:generate` writes SQL migrations from the schema; `npm run db:migrate` applies them
// to the database DATABASE_URL names (the server also applies them itself at start).
export default defineConfig({
  dialect: 'sqlite',
  schema: './server/database/schema.sqlite.ts',
  out: './drizzle/sqlite',
  dbCredentials: { url: resolveDatabase(process.env.DATABASE_URL).path },
})
