import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export type DatabaseTarget = SqliteTarget | PostgresTarget

export interface SqliteTarget {
  dialect: 'sqlite'
  /** Absolute path of the SQLite file. */
  path: string
}

export interface PostgresTarget {
  dialect: 'postgres'
  url: string
}

export const DEFAULT_SQLITE_PATH = './data/app.db'

/**
 * The one place that decides which database the app talks to. With no DATABASE_URL it is the
 * embedded SQLite file ./data/app.db; a plain path or a `file:` URL names another SQLite file;
 * a postgres:// or postgresql:// URL selects PostgreSQL.
 */
export function resolveDatabase(url: string | undefined): DatabaseTarget {
  const value = url?.trim() || DEFAULT_SQLITE_PATH
  if (/^postgres(ql)?:\/\//i.test(value)) return { dialect: 'postgres', url: value }
  if (value.startsWith('file:')) {
    // file:///abs/path.db is a URL; file:relative/path.db (libsql/Prisma style) is a path.
    return { dialect: 'sqlite', path: value.startsWith('file://') ? fileURLToPath(value) : resolve(value.slice(5)) }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new Error(`DATABASE_URL: unsupported scheme ${value.split(':')[0]}: (use a SQLite path, file:, or postgres://)`)
  }
  return { dialect: 'sqlite', path: resolve(value) }
}
