import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { readMigrationFiles } from 'drizzle-orm/migrator'
import type { Plugin } from 'rollup'
import { resolveDatabase } from './server/database/config'

const projectPath = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/** Bundled at build time, so the server (and a Vercel function) needs no drizzle/ folder. */
const bundledMigrations = (folder: string) => () =>
  `export default ${JSON.stringify(readMigrationFiles({ migrationsFolder: projectPath(folder) }))}`

// A build made with a PostgreSQL DATABASE_URL (as on Vercel) leaves SQLite and its native
// driver out of the server bundle entirely.
// Only the dialect matters here: the pool settings are the server's to check, at start.
const withSqlite = resolveDatabase(process.env.DATABASE_URL, {}).dialect === 'sqlite'

/**
 * drizzle-orm's relations.js imports pg-core's PrimaryKeyBuilder for one `is()` test, and with
 * it every PostgreSQL column class, into the main chunk of a SQLite server too; this gives it
 * server/database/pg-primary-key-kind.ts instead (296 KB of main chunk instead of 331,
 * docs/benchmarks.md). Should relations.js come to use the class otherwise, the build warns and
 * leaves the import alone.
 */
function drizzleRelationsWithoutPgCore(): Plugin {
  const expectedUses = ['import { PrimaryKeyBuilder } from "./pg-core/primary-keys.js";', 'if (is(configEntry, PrimaryKeyBuilder)) {']
  let relations: string | undefined
  return {
    name: 'drizzle-relations-without-pg-core',
    buildStart() {
      const path = createRequire(import.meta.url).resolve('drizzle-orm/relations').replace(/\.cjs$/, '.js')
      const uses = existsSync(path) ? readFileSync(path, 'utf8').match(/.*\bPrimaryKeyBuilder\b.*/g)?.map(line => line.trim()) : undefined
      relations = JSON.stringify(uses) === JSON.stringify(expectedUses) ? path : undefined
      if (!relations) this.warn(`${path} no longer uses PrimaryKeyBuilder only in an is() test: its pg-core import is left as it is (drizzleRelationsWithoutPgCore in nuxt.config.ts)`)
    },
    resolveId: (source, importer) => relations && source === './pg-core/primary-keys.js' && importer === relations
      ? projectPath('./server/database/pg-primary-key-kind.ts')
      : null,
  }
}

export default defineNuxtConfig({
  modules: ['@nuxt/eslint'],
  devtools: { enabled: false },

  app: {
    head: {
      htmlAttrs: { lang: 'en' },
      title: 'Auth core',
      meta: [{ name: 'viewport', content: 'width=device-width, initial-scale=1' }],
    },
  },
  css: ['~/assets/main.css'],

  runtimeConfig: {
    auth: {
      // NUXT_AUTH_COOKIE_SECURE=false drops `Secure` for plain-HTTP production use on localhost.
      cookieSecure: true,
      // NUXT_AUTH_TRUSTED_ORIGINS: comma-separated origins allowed to call the API cross-origin.
      trustedOrigins: '',
      // NUXT_AUTH_TRUST_PROXY=true: believe X-Forwarded-Host/-For from a reverse proxy.
      trustProxy: false,
      // Login throttling: this many failures per email and per client address in the window → 429.
      loginMaxFailures: 10,
      loginWindowSeconds: 15 * 60,
      // Attempts are counted in the app's database (table rate_limit); NUXT_AUTH_RATE_LIMIT_REDIS_URL
      // counts them in Redis instead, under NUXT_AUTH_RATE_LIMIT_PREFIX (server/utils/throttle.ts).
      rateLimitRedisUrl: '',
      rateLimitPrefix: 'auth:attempts',
      // Session lifetime (server/utils/session-lifetime.ts): idle timeout and absolute lifetime
      // in days, and how long a new session counts as recently authenticated, in minutes.
      sessionIdleDays: 30,
      sessionAbsoluteDays: 90,
      reauthMinutes: 10,
      // NUXT_AUTH_ORIGIN: the app's public origin, for links in mail (never the request's Host).
      // In `nuxt dev` it defaults to http://localhost:<port> (server/utils/mail.ts).
      origin: '',
    },
    mail: {
      // NUXT_MAIL_SMTP_URL: smtp://[user:pass@]host:port or smtps://…; without it, mail is
      // printed to the console in `nuxt dev`, and features that send mail answer 503 in production.
      smtpUrl: '',
      // NUXT_MAIL_FROM: the sender; default no-reply@ the origin's host name.
      from: '',
    },
  },
  // The issue asks for pages/, components/ and server/ at the top level, not under app/.
  srcDir: '.',
  compatibilityDate: '2026-11-01',

  nitro: {
    // Only read by the vercel preset (NITRO_PRESET=vercel): the function's Node.js version.
    vercel: { functions: { runtime: 'nodejs24.x' } },
    experimental: { tasks: true },
    // Bundled into the server rather than loaded from .output/server/node_modules: drizzle-orm
    // is some 140 small modules under one 175 KB package.json, which Node parses again for
    // every one of them; that alone made the server start several times slower than a bare
    // Nuxt app (docs/benchmarks.md).
    externals: { inline: ['drizzle-orm', 'lucia', '@oslojs/crypto', '@oslojs/encoding', '@oslojs/binary'] },
    // Expired sessions are deleted hourly (server/tasks/db/cleanup.ts); also `npm run db:cleanup`.
    scheduledTasks: { '17 * * * *': ['db:cleanup'] },
    rollupConfig: { plugins: [drizzleRelationsWithoutPgCore()] },
    virtual: {
      '#migrations/sqlite': bundledMigrations('./drizzle/sqlite'),
      '#migrations/postgres': bundledMigrations('./drizzle/postgres'),
      '#database/sqlite': () => withSqlite
        ? `export { openSqlite } from ${JSON.stringify(projectPath('./server/database/sqlite.ts'))}`
        : `export function openSqlite() { throw new Error('This server was built for PostgreSQL (DATABASE_URL at build time), without SQLite support') }`,
    },
  },
  typescript: { strict: true },
  telemetry: false,

  hooks: {
    // A Node server turns on Node's compile cache before it loads its own chunks, so that a
    // restart reads V8's cached code for the whole server instead of compiling it again
    // (docs/benchmarks.md, cold start). Other presets keep their entry (and their exports);
    // server/plugins/compile-cache.ts covers what they load after start.
    'nitro:init'(nitro) {
      if (nitro.options.preset !== 'node-server') return
      nitro.options.virtual['#entry/compile-cache'] = [
        `import { enableCompileCache } from 'node:module'`,
        `enableCompileCache()`,
        `await import(${JSON.stringify(nitro.options.entry)})`,
      ].join('\n')
      nitro.options.entry = '#entry/compile-cache'
    },
    // API errors are always JSON, even for a browser that asks for text/html; pages keep
    // Nuxt's own error page.
    'nitro:config'(config) {
      const handlers = [config.errorHandler ?? []].flat()
      config.errorHandler = [projectPath('./server/error.ts'), ...handlers]
    },
  },

  eslint: { config: { stylistic: true } },
})
