/**
 * Every /api request: trusted cross-origin callers get CORS with credentials, and non-safe
 * requests from other origins are refused (CSRF). (`Cache-Control: no-store` on every /api
 * response is set before any middleware runs, in server/plugins/security-headers.ts.)
 */
export default defineEventHandler((event) => {
  if (!event.path.startsWith('/api/')) return

  // The config as read at start, not useRuntimeConfig(event): that one copies the whole config
  // and looks every key up in the environment again, on every request, which cost this
  // middleware more than everything else an /api request does (docs/benchmarks.md).
  const { auth } = useRuntimeConfig()
  const trustedOrigins = trustedOriginsFrom(auth.trustedOrigins)
  const origin = getRequestHeader(event, 'origin')

  if (origin && trustedOrigins.includes(origin)) {
    setResponseHeaders(event, {
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'true',
      'vary': 'Origin',
    })
    if (event.method === 'OPTIONS' && getRequestHeader(event, 'access-control-request-method')) {
      setResponseHeaders(event, {
        'access-control-allow-methods': 'GET, POST, DELETE',
        'access-control-allow-headers': 'content-type',
        'access-control-max-age': 600,
      })
      setResponseStatus(event, 204)
      return ''
    }
  }

  const allowed = isCrossOriginRequestAllowed({
    method: event.method,
    origin,
    secFetchSite: getRequestHeader(event, 'sec-fetch-site'),
    host: getRequestHost(event, { xForwardedHost: auth.trustProxy === true }),
    trustedOrigins,
  })
  if (!allowed) throw httpError({ statusCode: 403, statusMessage: 'Forbidden', message: 'Cross-origin request refused' })
})

let parsed: { from: string, origins: string[] } | undefined

function trustedOriginsFrom(value: string): string[] {
  if (parsed?.from !== value) parsed = { from: value, origins: parseTrustedOrigins(value) }
  return parsed.origins
}
