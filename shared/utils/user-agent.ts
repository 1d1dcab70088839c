/**
 * A readable name for a User-Agent header, for the session list: "Chrome 126 on Windows". Only
 * the common browsers and systems are told apart; anything else is "Unknown browser" or
 * "Unknown OS". Pure and dependency-free, so the server and the browser can both use it.
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

/**
 * Order matters: Chromium-based browsers also say "Chrome/…" and "Safari/…", and every browser
 * on iOS says "Safari/…", so the more specific tokens come first.
 */
const BROWSERS: ReadonlyArray<readonly [name: string, pattern: RegExp]> = [
  ['Samsung Internet', /\bSamsungBrowser\/(\d+)/],
  ['Opera', /\b(?:OPR|OPT|OPiOS)\/(\d+)/],
  ['Opera', /\bOpera\b(?:.*\bVersion\/(\d+))?/],
  ['Edge', /\b(?:Edg|EdgA|EdgiOS|Edge)\/(\d+)/],
  ['Firefox', /\b(?:Firefox|FxiOS)\/(\d+)/],
  ['Chrome', /\b(?:Chrome|CriOS|HeadlessChrome|Chromium)\/(\d+)/],
  ['Safari', /\bVersion\/(\d+)(?:[.\d]*)? (?:Mobile\/\S+ )?Safari\//],
]

function parseBrowser(ua: string): Pick<UserAgentInfo, 'browser' | 'browserVersion'> {
  for (const [browser, pattern] of BROWSERS) {
    const match = pattern.exec(ua)
    if (match) return match[1] ? { browser, browserVersion: match[1] } : { browser }
  }
  // Safari without a Version/ token (some in-app views): WebKit on an Apple system.
  if (/AppleWebKit\//.test(ua) && /\b(?:iPhone|iPad|iPod|Macintosh)\b/.test(ua) && /\bSafari\//.test(ua)) return { browser: 'Safari' }
  return { browser: UNKNOWN_BROWSER }
}

const version = (raw: string | undefined) => raw?.replace(/_/g, '.').replace(/\.0$/, '')

function parseOs(ua: string): Pick<UserAgentInfo, 'os' | 'osVersion'> {
  let match: RegExpExecArray | null
  // iPadOS 13+ asks for desktop sites and says "Macintosh"; only older iPads say "iPad".
  if ((match = /\biPad\b.*?\bOS (\d+(?:_\d+)?)/.exec(ua))) return { os: 'iPadOS', osVersion: version(match[1]) }
  if (/\biPad\b/.test(ua)) return { os: 'iPadOS' }
  if ((match = /\b(?:iPhone|iPod)\b.*?\bOS (\d+(?:_\d+)?)/.exec(ua))) return { os: 'iOS', osVersion: version(match[1]) }
  if (/\b(?:iPhone|iPod)\b/.test(ua)) return { os: 'iOS' }
  if ((match = /\bAndroid (\d+(?:\.\d+)?)/.exec(ua))) return { os: 'Android', osVersion: version(match[1]) }
  if (/\bAndroid\b/.test(ua)) return { os: 'Android' }
  if (/\bCrOS\b/.test(ua)) return { os: 'ChromeOS' }
  // "Windows NT 10.0" is both Windows 10 and 11, so no version is shown.
  if (/\bWindows\b/.test(ua)) return { os: 'Windows' }
  if (/\bMac OS X\b|\bMacintosh\b/.test(ua)) return { os: 'macOS' }
  if (/\bLinux\b|\bX11\b/.test(ua)) return { os: 'Linux' }
  return { os: UNKNOWN_OS }
}

export function parseUserAgent(ua: string | null | undefined): UserAgentInfo {
  const header = (ua ?? '').trim()
  if (!header) return { browser: UNKNOWN_BROWSER, os: UNKNOWN_OS }
  return { ...parseBrowser(header), ...parseOs(header) }
}

/** "Chrome 126 on Windows", "Safari 17 on iOS 17.5", "Unknown browser on Unknown OS". */
export function describeUserAgent(ua: string | null | undefined): string {
  const { browser, browserVersion, os, osVersion } = parseUserAgent(ua)
  const name = browserVersion ? `${browser} ${browserVersion}` : browser
  const system = osVersion ? `${os} ${osVersion}` : os
  return `${name} on ${system}`
}
