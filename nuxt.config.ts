import { fileURLToPath } from 'node:url'
import { readMigrationFiles } from 'drizzle-orm/migrator'

const sqliteMigrations = fileURLToPath(new URL('./drizzle/sqlite', import.meta.url))

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
    },
  },
  // The issue asks for pages/, components/ and server/ at the top level, not under app/.
  srcDir: '.',
  compatibilityDate: '2026-11-01',

  nitro: {
    // Migrations are read at build time and bundled, so the server (and a Vercel function)
    // needs no drizzle/ folder at run time.
    virtual: {
      '#migrations/sqlite': () =>
        `export default ${JSON.stringify(readMigrationFiles({ migrationsFolder: sqliteMigrations }))}`,
    },
  },
  typescript: { strict: true },
  telemetry: false,

  hooks: {
    // API errors are always JSON, even for a browser that asks for text/html; pages keep
    // Nuxt's own error page.
    'nitro:config'(config) {
      const handlers = [config.errorHandler ?? []].flat()
      config.errorHandler = [fileURLToPath(new URL('./server/error.ts', import.meta.url)), ...handlers]
    },
  },

  eslint: { config: { stylistic: true } },
})
