import { describe, expect, it } from 'vitest'
import { isCrossOriginRequestAllowed, parseTrustedOrigins } from '../../server/utils/cross-origin'

const HOST = 'localhost:3000'
const TRUSTED = ['https://app.example.com'] as const
const ALLOW = true
const DENY = false

interface Row {
  case: string
  method: string
  origin?: string
  secFetchSite?: string
  host?: string
  trustedOrigins?: readonly string[]
  allowed: boolean
}

/** Header combinations for a state-changing request; host defaults to HOST, trusted list to TRUSTED. */
const unsafeScenarios: Omit<Row, 'method'>[] = [
  // 1. trusted Origin
  { case: 'trusted Origin + Sec-Fetch-Site cross-site', origin: 'https://app.example.com', secFetchSite: 'cross-site', allowed: ALLOW },
  { case: 'trusted Origin + Sec-Fetch-Site same-site', origin: 'https://app.example.com', secFetchSite: 'same-site', allowed: ALLOW },
  { case: 'trusted Origin, no Sec-Fetch-Site, Host differs', origin: 'https://app.example.com', allowed: ALLOW },
  { case: 'trusted look-alike suffix .evil.com + cross-site', origin: 'https://app.example.com.evil.com', secFetchSite: 'cross-site', allowed: DENY },
  { case: 'trusted look-alike suffix .evil.com, Origin only', origin: 'https://app.example.com.evil.com', allowed: DENY },
  { case: 'trusted look-alike prefix evil-app.example.com', origin: 'https://evil-app.example.com', secFetchSite: 'cross-site', allowed: DENY },
  { case: 'trusted host with another scheme', origin: 'http://app.example.com', secFetchSite: 'cross-site', allowed: DENY },
  { case: 'trusted host with another port', origin: 'https://app.example.com:8443', secFetchSite: 'cross-site', allowed: DENY },
  { case: 'trusted origin with a trailing slash (not an exact origin)', origin: 'https://app.example.com/', secFetchSite: 'cross-site', allowed: DENY },
  { case: 'Origin that would be trusted, but the trusted list is empty', origin: 'https://app.example.com', secFetchSite: 'cross-site', trustedOrigins: [], allowed: DENY },
  // 2. Sec-Fetch-Site present
  { case: 'Sec-Fetch-Site same-origin, no Origin', secFetchSite: 'same-origin', allowed: ALLOW },
  { case: 'Sec-Fetch-Site same-origin + matching Origin', origin: 'http://localhost:3000', secFetchSite: 'same-origin', allowed: ALLOW },
  { case: 'Sec-Fetch-Site none (user-initiated), no Origin', secFetchSite: 'none', allowed: ALLOW },
  { case: 'Sec-Fetch-Site same-site, no Origin', secFetchSite: 'same-site', allowed: DENY },
  { case: 'Sec-Fetch-Site same-site + Origin matching Host', origin: 'http://localhost:3000', secFetchSite: 'same-site', allowed: DENY },
  { case: 'Sec-Fetch-Site cross-site, no Origin', secFetchSite: 'cross-site', allowed: DENY },
  { case: 'Sec-Fetch-Site cross-site + Origin matching Host', origin: 'http://localhost:3000', secFetchSite: 'cross-site', allowed: DENY },
  { case: 'Sec-Fetch-Site cross-site + hostile Origin', origin: 'https://evil.example', secFetchSite: 'cross-site', allowed: DENY },
  { case: 'Sec-Fetch-Site with an unknown value', secFetchSite: 'bogus', allowed: DENY },
  // 3. neither header
  { case: 'no Sec-Fetch-Site, no Origin (cURL, httpx)', allowed: ALLOW },
  { case: 'no Sec-Fetch-Site, no Origin, no Host', host: undefined, allowed: ALLOW },
  { case: 'no Sec-Fetch-Site, empty Origin header (absent, as in Go)', origin: '', allowed: ALLOW },
  { case: 'Sec-Fetch-Site cross-site, empty Origin header', origin: '', secFetchSite: 'cross-site', allowed: DENY },
  // 4. Origin only: host:port against Host
  { case: 'Origin only, same host:port', origin: 'http://localhost:3000', allowed: ALLOW },
  { case: 'Origin only, same host:port, other scheme (Go compares host only)', origin: 'https://localhost:3000', allowed: ALLOW },
  { case: 'Origin only, Host in upper case', origin: 'http://localhost:3000', host: 'LOCALHOST:3000', allowed: ALLOW },
  { case: 'Origin only, Host in mixed case', origin: 'http://localhost:3000', host: 'LocalHost:3000', allowed: ALLOW },
  { case: 'Origin only, IPv6 same host:port', origin: 'http://[::1]:3000', host: '[::1]:3000', allowed: ALLOW },
  { case: 'Origin only, default port on both sides', origin: 'https://api.example.com', host: 'api.example.com', allowed: ALLOW },
  { case: 'Origin only, different port', origin: 'http://localhost:4000', allowed: DENY },
  { case: 'Origin only, Origin without a port, Host with one', origin: 'http://localhost', allowed: DENY },
  { case: 'Origin only, Origin with a port, Host without one', origin: 'http://localhost:3000', host: 'localhost', allowed: DENY },
  { case: 'Origin only, different host', origin: 'http://evil.example:3000', allowed: DENY },
  { case: 'Origin only, Host is a suffix of the Origin host', origin: 'http://evil-localhost:3000', allowed: DENY },
  { case: 'Origin only, no Host to compare with', origin: 'http://localhost:3000', host: undefined, allowed: DENY },
  { case: 'Origin only, opaque Origin null', origin: 'null', allowed: DENY },
  { case: 'Origin only, unparseable Origin', origin: 'not a url', allowed: DENY },
  { case: 'Origin only, unparseable Origin http://', origin: 'http://', allowed: DENY },
  { case: 'Origin only, Origin equal to the bare Host string (no scheme)', origin: 'localhost:3000', allowed: DENY },
]

const table: Row[] = [
  // Safe methods are never checked, whatever the headers say.
  ...['GET', 'HEAD', 'OPTIONS', 'get', 'head', 'options'].flatMap(method => [
    { case: 'hostile Origin + Sec-Fetch-Site cross-site', method, origin: 'https://evil.example', secFetchSite: 'cross-site', allowed: ALLOW },
    { case: 'Origin null + Sec-Fetch-Site same-site', method, origin: 'null', secFetchSite: 'same-site', allowed: ALLOW },
    { case: 'hostile Origin only', method, origin: 'https://evil.example', allowed: ALLOW },
    { case: 'no headers', method, allowed: ALLOW },
  ]),
  // Every state-changing method, in upper and lower case, against every header combination.
  ...['POST', 'PUT', 'PATCH', 'DELETE', 'post', 'put', 'patch', 'delete'].flatMap(method =>
    unsafeScenarios.map(scenario => ({ ...scenario, method })),
  ),
  // Methods outside the usual four are state-changing too.
  { case: 'Sec-Fetch-Site cross-site', method: 'PROPFIND', secFetchSite: 'cross-site', allowed: DENY },
  { case: 'hostile Origin only', method: 'CONNECT', origin: 'https://evil.example', allowed: DENY },
]

describe('isCrossOriginRequestAllowed', () => {
  it.each(table)('$method, $case → $allowed', (row) => {
    const host = 'host' in row ? row.host : HOST
    expect(isCrossOriginRequestAllowed({
      method: row.method,
      origin: row.origin,
      secFetchSite: row.secFetchSite,
      host,
      trustedOrigins: row.trustedOrigins ?? TRUSTED,
    })).toBe(row.allowed)
  })

  it('trusts every origin in a list of several, and only those', () => {
    const trustedOrigins = parseTrustedOrigins('https://a.example, https://b.example:8443/')
    const check = (origin: string) => isCrossOriginRequestAllowed({ method: 'POST', origin, secFetchSite: 'cross-site', host: HOST, trustedOrigins })
    expect(check('https://a.example')).toBe(true)
    expect(check('https://b.example:8443')).toBe(true)
    expect(check('https://b.example')).toBe(false)
    expect(check('https://c.example')).toBe(false)
  })
})

describe('parseTrustedOrigins', () => {
  it.each([
    ['empty string', '', []],
    ['undefined', undefined, []],
    ['only commas and spaces', ' , ,, ', []],
    ['one origin', 'https://a.example', ['https://a.example']],
    ['padded entries, trailing slash', ' https://a.example , https://b.example:8443/ ', ['https://a.example', 'https://b.example:8443']],
    ['upper-case scheme and host', 'HTTPS://App.Example.COM', ['https://app.example.com']],
    ['the default port', 'https://a.example:443,http://b.example:80', ['https://a.example', 'http://b.example']],
    ['an IPv6 origin', 'http://[::1]:3000', ['http://[::1]:3000']],
  ])('%s', (_, value, expected) => {
    expect(parseTrustedOrigins(value)).toEqual(expected)
  })

  it.each([
    ['not a url'],
    ['app.example.com'],
    ['https://'],
    ['https://a.example, not a url'],
    ['https://a.example/app'],
    ['https://a.example?x=1'],
    ['https://user:pw@a.example'],
  ])('throws on an entry that is not a bare origin: %s', (value) => {
    expect(() => parseTrustedOrigins(value)).toThrow(/NUXT_AUTH_TRUSTED_ORIGINS/)
  })

  // These parse as URLs but have an opaque origin, which the URL API serialises as the string
  // 'null'. Accepting them would put 'null' in the trusted list, and then any sandboxed iframe,
  // data: URL or file: page (all of which send `Origin: null`) would be trusted with credentials.
  it.each([
    ['host:port without a scheme', 'localhost:3000'],
    ['host:port without a scheme, among valid entries', 'https://a.example,app.example.com:8443'],
    ['a file: URL', 'file:///srv/app'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a mailto: URL', 'mailto:admin@example.com'],
    ['the literal null', 'null'],
  ])('throws on an entry with an opaque origin: %s', (_, value) => {
    expect(() => parseTrustedOrigins(value)).toThrow(/NUXT_AUTH_TRUSTED_ORIGINS/)
  })

  it('never lets a misconfigured entry trust Origin: null', () => {
    let trustedOrigins: string[] = []
    try {
      trustedOrigins = parseTrustedOrigins('localhost:3000')
    }
    catch {
      // Refusing the configuration is the right outcome.
    }
    expect(trustedOrigins).not.toContain('null')
    expect(isCrossOriginRequestAllowed({ method: 'POST', origin: 'null', secFetchSite: 'cross-site', host: HOST, trustedOrigins })).toBe(false)
  })
})
