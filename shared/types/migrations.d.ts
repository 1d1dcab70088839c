// The migrations nuxt.config.ts bundles at build time (see nitro.virtual there).
declare module '#migrations/sqlite' {
  const migrations: import('drizzle-orm/migrator').MigrationMeta[]
  export default migrations
}
