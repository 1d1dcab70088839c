import { resolveDatabase } from '../database/config'
import type { Store } from '../database/store'

let opening: Promise<Store> | undefined

/**
 * The app's database, opened and migrated on first use. Only the driver DATABASE_URL selects is
 * ever imported. A failed open is not kept, so a store that comes back (server reachable again,
 * directory created) is picked up by the next request.
 */
export function useStore(): Promise<Store> {
  opening ??= openStore().catch((error: unknown) => {
    opening = undefined
    throw error
  })
  return opening
}

async function openStore(): Promise<Store> {
  const target = resolveDatabase(process.env.DATABASE_URL)
  if (target.dialect === 'postgres') {
    const { openPostgres } = await import('../database/postgres')
    return openPostgres(target)
  }
  // A virtual module: the real driver, or a stub in builds made for PostgreSQL (nuxt.config.ts).
  const { openSqlite } = await import('#database/sqlite')
  return openSqlite(target.path)
}

export async function closeStore(): Promise<void> {
  const store = await opening?.catch(() => undefined)
  opening = undefined
  await store?.close()
}

/**
 * `build` run once per store, its result kept: for a query drizzle would otherwise build again,
 * and on SQLite compile into a new statement, on every call, which costs about as much as a
 * small query itself (docs/benchmarks.md). `build` ends in drizzle's `.prepare()`.
 */
export function oncePerStore<T>(build: (store: Store) => T): (store: Store) => T {
  const built = new WeakMap<Store, T>()
  return (store) => {
    let value = built.get(store)
    if (value === undefined) built.set(store, value = build(store))
    return value
  }
}
