import UAParser from 'ua-parser-js'

/**
 * A readable name for a User-Agent header, for the session list: "Chrome 126 on Windows". The
 * header is parsed by ua-parser-js (1.x, MIT; 2.x is AGPL), which keeps up with new browsers;
 * its names are mapped onto the few this app tells apart, and anything else is "Unknown browser"
 * or "Unknown OS". Server and browser both use it.
 */

export interface UserAgentInfo {
  /** "Chrome", "Edge", "Firefox", "Safari", "Opera", "Samsung Internet" or "Unknown browser". */
  browser: string
  /** The browser's major version, when the header gives one. */
  browserVersion?: string
  /** "Windows", "macOS", "iOS", "iPadOS", "Android", "ChromeOS", "Linux" or "Unknown OS". */
  os: string
  /** The system's version, when the header gives a meaningful one (iOS, iPadOS, Android). */
  osVersion?: string
}

export const UNKNOWN_BROWSER = 'Unknown browser'
export const UNKNOWN_OS = 'Unknown OS'

/** ua-parser-js's browser names (mobile, headless and embedded variants included) → ours. */
const BROWSERS: Record<string, string> = {
  'Chrome': 'Chrome',
  'Mobile Chrome': 'Chrome',
  'Chrome Headless': 'Chrome',
  'Chrome WebView': 'Chrome',
  'Chromium': 'Chrome',
  'Edge': 'Edge',
  'Firefox': 'Firefox',
  'Mobile Firefox': 'Firefox',
  'Safari': 'Safari',
  'Mobile Safari': 'Safari',
  'Opera': 'Opera',
  'Opera Mobi': 'Opera',
  'Opera Touch': 'Opera',
  'Samsung Internet': 'Samsung Internet',
}

/** ua-parser-js's system names → ours; Linux distributions are all "Linux". */
const SYSTEMS: Record<string, string> = {
  'Windows': 'Windows',
  'Mac OS': 'macOS',
  'iOS': 'iOS',
  'Android': 'Android',
  'Chromium OS': 'ChromeOS',
  ...Object.fromEntries(['Linux', 'Ubuntu', 'Kubuntu', 'Xubuntu', 'Lubuntu', 'Debian', 'Mint', 'Fedora', 'Red Hat', 'RedHat', 'CentOS', 'SUSE', 'openSUSE', 'Gentoo', 'Arch', 'Manjaro', 'Slackware', 'Mandriva', 'PCLinuxOS', 'Raspbian', 'Deepin', 'elementary OS'].map(name => [name, 'Linux'])),
}

/** Systems whose version means something to a user ("Windows NT 10.0" is both 10 and 11). */
const VERSIONED = new Set(['iOS', 'iPadOS', 'Android'])

/** "17.5.1" → "17.5", "14.0" → "14": major and minor, without a trailing zero. */
const shortVersion = (version: string) => version.split('.').slice(0, 2).join('.').replace(/\.0$/, '')

export function parseUserAgent(ua: string | null | undefined): UserAgentInfo {
  const header = (ua ?? '').trim()
  if (!header) return { browser: UNKNOWN_BROWSER, os: UNKNOWN_OS }
  const result = new UAParser(header).getResult()
  const browser = BROWSERS[result.browser.name ?? '']
  // iPads up to iPadOS 12 say "iPad" and are parsed as iOS (later ones say "Macintosh").
  const os = result.os.name === 'iOS' && result.device.model === 'iPad' ? 'iPadOS' : SYSTEMS[result.os.name ?? '']
  const info: UserAgentInfo = { browser: browser ?? UNKNOWN_BROWSER, os: os ?? UNKNOWN_OS }
  if (browser && result.browser.major) info.browserVersion = result.browser.major
  if (os && VERSIONED.has(os) && result.os.version) info.osVersion = shortVersion(result.os.version)
  return info
}

/** "Chrome 126 on Windows", "Safari 17 on iOS 17.5", "Unknown browser on Unknown OS". */
export function describeUserAgent(ua: string | null | undefined): string {
  const { browser, browserVersion, os, osVersion } = parseUserAgent(ua)
  const name = browserVersion ? `${browser} ${browserVersion}` : browser
  const system = osVersion ? `${os} ${osVersion}` : os
  return `${name} on ${system}`
}
