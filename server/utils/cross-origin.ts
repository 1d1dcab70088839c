/**
 * The cross-origin (CSRF) policy, after Go 1.25's net/http.CrossOriginProtection.
 * A pure function so every row of its decision table can be unit-tested.
 */

export interface CrossOriginRequest {
  method: string
  /** The Origin header, if sent. */
  origin?: string
  /** The Sec-Fetch-Site header, if sent. */
  secFetchSite?: string
  /** host[:port] the request was addressed to (behind a trusted proxy: the forwarded host). */
  host?: string
  /** Exact origins (scheme://host[:port]) allowed to call the API from another site. */
  trustedOrigins: readonly string[]
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export function isCrossOriginRequestAllowed(request: CrossOriginRequest): boolean {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return true
  if (request.origin && request.trustedOrigins.includes(request.origin)) return true
  if (request.secFetchSite) return request.secFetchSite === 'same-origin' || request.secFetchSite === 'none'
  // Neither header (an empty Origin counts as none, as in Go): not a browser (cURL, httpx,
  // server-to-server), so not a CSRF vector.
  if (!request.origin) return true
  const host = originHost(request.origin)
  return host !== undefined && host === request.host?.toLowerCase()
}

function originHost(origin: string): string | undefined {
  try {
    // `null` and other opaque origins do not parse and match no host.
    return new URL(origin).host || undefined
  }
  catch {
    return undefined
  }
}

/**
 * Parses NUXT_AUTH_TRUSTED_ORIGINS: comma-separated http(s) origins, normalised to the form
 * browsers send. Anything else throws: `localhost:3000` or `file:///x` would parse as URLs whose
 * origin is the string "null", and trusting "null" would trust every sandboxed page.
 */
export function parseTrustedOrigins(value: string | undefined): string[] {
  return (value ?? '').split(',').map(s => s.trim()).filter(Boolean).map((entry) => {
    const url = URL.parse(entry)
    const isOrigin = url && (url.protocol === 'http:' || url.protocol === 'https:')
      && url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password
    if (!isOrigin) throw new Error(`NUXT_AUTH_TRUSTED_ORIGINS: not an http(s) origin: ${entry}`)
    return url.origin
  })
}
