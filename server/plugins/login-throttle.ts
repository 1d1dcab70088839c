import type { Driver } from 'unstorage'
import type { RedisOptions } from 'unstorage/drivers/redis'

/**
 * Login attempts live in process memory by default (one instance). With
 * NUXT_AUTH_RATE_LIMIT_REDIS_URL they live in Redis, shared by every instance.
 */
export default defineNitroPlugin(() => {
  const { rateLimitRedisUrl, rateLimitPrefix } = useRuntimeConfig().auth
  if (!rateLimitRedisUrl) return
  useStorage().mount(ATTEMPT_STORAGE, lazyRedisDriver({ url: rateLimitRedisUrl, base: rateLimitPrefix, lazyConnect: true }))
})

/**
 * unstorage's Redis driver, imported (and ioredis with it) on first use. Imported statically,
 * ioredis was loaded at every server start, Redis or not, and was the largest part of the
 * start-up time left (docs/benchmarks.md). Mounted at once all the same, so that no login
 * attempt can be counted in memory while the driver loads.
 */
function lazyRedisDriver(options: RedisOptions): Driver {
  let loading: Promise<Driver> | undefined
  // A failed import is not kept, so that the next attempt tries again instead of failing for good.
  const redis = () => (loading ??= import('unstorage/drivers/redis').then(module => module.default(options)).catch((error: unknown) => {
    loading = undefined
    throw error
  }))
  return {
    name: 'redis',
    options,
    hasItem: async (key, opts) => (await redis()).hasItem(key, opts),
    getItem: async (key, opts) => (await redis()).getItem(key, opts),
    setItem: async (key, value, opts) => (await redis()).setItem!(key, value, opts),
    removeItem: async (key, opts) => (await redis()).removeItem!(key, opts),
    getKeys: async (base, opts) => (await redis()).getKeys(base, opts),
    clear: async (base, opts) => (await redis()).clear!(base, opts),
    dispose: async () => (await loading)?.dispose?.(),
  }
}
