// The reference the cold-start benchmark compares the auth app with: a Nuxt app with nothing in
// it but one server route (server/api/ping.get.ts) and an empty page, built by `npm run bench`
// into bench/bare-app/.output. Same Nuxt, same compatibility date, no modules, no database.
export default defineNuxtConfig({
  devtools: { enabled: false },
  // Its own build directory, so that its build never shares one with the auth app's.
  buildDir: '.nuxt',
  compatibilityDate: '2026-11-01',
  telemetry: false,
})
