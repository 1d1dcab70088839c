// The reference the benchmark compares the auth app with: a Nuxt app with nothing in it but one
// server route (server/api/ping.get.ts, for the cold start) and one page that renders a static
// copy of the auth app's signed-in `/` with the same stylesheet (app/pages/index.vue), built by
// `npm run bench` into bench/bare-app/.output. Same Nuxt, same compatibility date, no modules,
// no database. Imports spelled out: the auth app's type-check sees this file but not this app's
// auto-imports.
import { fileURLToPath } from 'node:url'
import { defineNuxtConfig } from 'nuxt/config'

export default defineNuxtConfig({
  devtools: { enabled: false },
  // The auth app's head and stylesheet, so that the two pages differ only in how they are made.
  app: {
    head: {
      htmlAttrs: { lang: 'en' },
      title: 'Auth core',
      meta: [{ name: 'viewport', content: 'width=device-width, initial-scale=1' }],
    },
  },
  css: [fileURLToPath(new URL('../../assets/main.css', import.meta.url))],
  // Its own build directory, so that its build never shares one with the auth app's.
  buildDir: '.nuxt',
  compatibilityDate: '2026-11-01',
  telemetry: false,
})
