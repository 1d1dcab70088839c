import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
// Imported by name: this module is also loaded by nuxt.config.ts and drizzle.config.ts, outside Nitro.
import { parsePositiveSetting, type PositiveSettingRule } from '../utils/positive-setting'

export type DatabaseTarget = SqliteTarget | PostgresTarget

export interface SqliteTarget {
  dialect: 'sqlite'
  /** Absolute path of the SQLite file. */
  path: string
}

export interface PostgresTarget {
  dialect: 'postgres'
  url: string
  /** Connections per server process (DATABASE_POOL_MAX). */
  poolMax: number
  /** Seconds a new connection may take (DATABASE_CONNECT_TIMEOUT). */
  connectTimeoutSeconds: number
}

export const DEFAULT_SQLITE_PATH = './data/app.db'

/**
 * The one place that decides which database the app talks to. With no DATABASE_URL it is the
 * embedded SQLite file ./data/app.db; a plain path or a `file:` URL names another SQLite file;
 * a postgres:// or postgresql:// URL selects PostgreSQL, with its pool settings from `env`.
 * Throws, naming the variable, for anything it cannot use (the server then does not start:
 * server/plugins/config-check.ts).
 */
export function resolveDatabase(url: string | undefined, env: Record<string, string | undefined> = process.env): DatabaseTarget {
  const value = url?.trim() || DEFAULT_SQLITE_PATH
  if (/^postgres(ql)?:\/\//i.test(value)) {
    const problems: string[] = []
    const poolMax = setting(env, { variable: 'DATABASE_POOL_MAX', unit: 'connections', whole: true, max: 1000 }, 10, problems)
    const connectTimeoutSeconds = setting(env, { variable: 'DATABASE_CONNECT_TIMEOUT', unit: 'seconds', whole: false, max: 3600 }, 2, problems)
    if (problems.length) throw new Error(`Invalid configuration: ${problems.join('; ')}`)
    return { dialect: 'postgres', url: value, poolMax, connectTimeoutSeconds }
  }
  if (value.startsWith('file:')) {
    // file:///abs/path.db is a URL; file:relative/path.db (libsql/Prisma style) is a path.
    return { dialect: 'sqlite', path: value.startsWith('file://') ? fileURLToPath(value) : resolve(value.slice(5)) }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new Error(`Invalid configuration: DATABASE_URL has an unsupported scheme, ${value.split(':')[0]}: (use a SQLite path, file:, or postgres://)`)
  }
  return { dialect: 'sqlite', path: resolve(value) }
}

/** The setting from `env`, or `fallback` when it is unset or empty; a bad value adds to `problems`. */
function setting(env: Record<string, string | undefined>, rule: PositiveSettingRule, fallback: number, problems: string[]): number {
  const raw = env[rule.variable]?.trim()
  if (!raw) return fallback
  const parsed = parsePositiveSetting(raw, rule)
  if ('value' in parsed) return parsed.value
  problems.push(parsed.problem)
  return fallback
}
