import { defineConfig } from 'drizzle-kit'
import { resolveDatabase } from './server/database/config'

// `npm run db:generate` writes SQL migrations from the schemas (DB_DIALECT picks one; the
// script runs both); `npm run db:migrate` applies them to the database DATABASE_URL names.
// The server also applies them itself at start.
// The pool settings are the server's (checked at its start), not drizzle-kit's.
const target = resolveDatabase(process.env.DATABASE_URL, {})
const dialect = process.env.DB_DIALECT ?? target.dialect

export default dialect === 'postgres'
  ? defineConfig({
      dialect: 'postgresql',
      schema: './server/database/schema.postgres.ts',
      out: './drizzle/postgres',
      dbCredentials: { url: target.dialect === 'postgres' ? target.url : 'postgres://localhost/unused' },
    })
  : defineConfig({
      dialect: 'sqlite',
      schema: './server/database/schema.sqlite.ts',
      out: './drizzle/sqlite',
      dbCredentials: { url: target.dialect === 'sqlite' ? target.path : './data/app.db' },
    })
