import redisDriver from 'unstorage/drivers/redis'

/**
 * Login attempts live in process memory by default (one instance). With
 * NUXT_AUTH_RATE_LIMIT_REDIS_URL they live in Redis, shared by every instance.
 */
export default defineNitroPlugin(() => {
  const { rateLimitRedisUrl, rateLimitPrefix } = useRuntimeConfig().auth
  if (!rateLimitRedisUrl) return
  useStorage().mount(ATTEMPT_STORAGE, redisDriver({ url: rateLimitRedisUrl, base: rateLimitPrefix, lazyConnect: true }))
})
