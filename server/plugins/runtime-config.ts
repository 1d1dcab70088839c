/**
 * Pages read the config made once at start, as the API already does (1.api-guard.ts). Nuxt's
 * renderer asks for `useRuntimeConfig(event)`, which, given an event, deep-copies the whole
 * config and looks every key up in the environment again, on every page: 6% of a signed-in
 * page's server time (docs/benchmarks.md). Nitro answers from `event.context.nitro.runtimeConfig`
 * when it is set. The per-event copy is for runtimes whose environment changes per request; a
 * Node server and a Vercel function read theirs at start.
 */
export default defineNitroPlugin((nitroApp) => {
  nitroApp.hooks.hook('request', (event) => {
    event.context.nitro.runtimeConfig = useRuntimeConfig()
  })
})
