// Built by nuxt.config.ts (nitro.virtual) at build time.
declare module '#migrations/sqlite' {
  const migrations: import('drizzle-orm/migrator').MigrationMeta[]
  export default migrations
}
declare module '#migrations/postgres' {
  const migrations: import('drizzle-orm/migrator').MigrationMeta[]
  export default migrations
}
declare module '#database/sqlite' {
  export const openSqlite: typeof import('../../server/database/sqlite').openSqlite
}
