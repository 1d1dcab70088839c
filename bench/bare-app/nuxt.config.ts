// The reference the cold-start benchmark compares the auth app with: a Nuxt app with nothing in
// it but one server route (server/api/ping.get.ts) and an empty page, built by `npm run bench`
// into bench/bare-app/.output. Same Nuxt, same compatibility date, no modules, no database.
// Imports spelled out: the auth app's type-check sees this file but not this app's auto-imports.
import { defineNuxtConfig } from 'nuxt/config'

export default defineNuxtConfig({
  devtools: { enabled: false },
  // Its own build directory, so that its build never shares one with the auth app's.
  buildDir: '.nuxt',
  compatibilityDate: '2026-11-01',
  telemetry: false,
})
