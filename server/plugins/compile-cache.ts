import { enableCompileCache } from 'node:module'

/**
 * Node's on-disk compile cache for every module loaded from here on: the database driver's
 * chunk, the route chunks and the page renderer, loaded on their first request. Compiling them
 * was most of what a cold start spent beyond the bare Nuxt app (docs/benchmarks.md); with the
 * cache, a start after the first reads V8's code cache instead. A Node server build has turned
 * it on already, before its main chunk loaded (the `nitro:init` hook in nuxt.config.ts); this
 * covers the other presets, a Vercel function's included. The directory is Node's default
 * (os.tmpdir()/node-compile-cache) unless NODE_COMPILE_CACHE names one. A cache that cannot be
 * written changes nothing.
 */
export default defineNitroPlugin(() => {
  enableCompileCache()
})
