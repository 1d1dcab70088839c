import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  generateSessionToken,
  hashSessionToken,
  isSessionToken,
  serializeBlankSessionCookie,
  serializeSessionCookie,
  SESSION_COOKIE_NAME,
} from '../../server/utils/session-token'

// The default idle timeout, 30 days (server/utils/session-lifetime.ts).
const SESSION_LIFETIME_SECONDS = 30 * 24 * 60 * 60

const TOKEN_SHAPE = /^[a-z2-7]{40}$/
const VALID = 'abcdefghijklmnopqrstuvwxyz234567abcdefgh'

/** Splits a Set-Cookie value on '; ' into its name=value pair and an attribute map (flags map to true). */
function parseSetCookie(header: string) {
  const [pair, ...rest] = header.split('; ')
  const eq = pair!.indexOf('=')
  const attributes = new Map<string, string | true>()
  for (const part of rest) {
    const i = part.indexOf('=')
    const key = i === -1 ? part : part.slice(0, i)
    expect(attributes.has(key), `duplicate attribute ${key} in ${header}`).toBe(false)
    attributes.set(key, i === -1 ? true : part.slice(i + 1))
  }
  return { name: pair!.slice(0, eq), value: pair!.slice(eq + 1), attributes }
}

describe('constants', () => {
  it('names the cookie auth_session', () => {
    expect(SESSION_COOKIE_NAME).toBe('auth_session')
  })
})

describe('generateSessionToken', () => {
  it('returns 40 characters of lower-case base32', () => {
    for (let i = 0; i < 50; i++) {
      const token = generateSessionToken()
      expect(token).toHaveLength(40)
      expect(token).toMatch(TOKEN_SHAPE)
      expect(isSessionToken(token)).toBe(true)
    }
  })

  it('returns 1000 distinct tokens', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => generateSessionToken()))
    expect(tokens.size).toBe(1000)
  })
})

describe('isSessionToken', () => {
  it.each([
    ['all of the alphabet', VALID],
    ['all a', 'a'.repeat(40)],
    ['all 7', '7'.repeat(40)],
  ])('accepts %s', (_, value) => {
    expect(value).toHaveLength(40)
    expect(isSessionToken(value)).toBe(true)
  })

  it.each([
    ['the empty string', ''],
    ['upper case', VALID.toUpperCase()],
    ['one upper-case letter', `A${VALID.slice(1)}`],
    ['39 characters', VALID.slice(1)],
    ['41 characters', `${VALID}a`],
    ['80 characters', VALID + VALID],
    ...['0', '1', '8', '9', '=', '-', '_', '+', '/', '.'].map(c => [`'${c}' outside the alphabet`, `${c}${VALID.slice(1)}`]),
    ['a leading space', ` ${VALID.slice(1)}`],
    ['whitespace padding', ` ${VALID} `],
    ['a trailing newline', `${VALID}\n`],
    ['a trailing newline in place of a character', `${VALID.slice(1)}\n`],
    ['a tab', `\t${VALID.slice(1)}`],
    ['a NUL', `\0${VALID.slice(1)}`],
    ['a Cyrillic а (U+0430) for a', `\u0430${VALID.slice(1)}`],
    ['a Cyrillic е (U+0435) for e', `${VALID.slice(0, 4)}\u0435${VALID.slice(5)}`],
    ['a full-width ａ (U+FF41)', `\uFF41${VALID.slice(1)}`],
    ['a full-width ２ (U+FF12)', `\uFF12${VALID.slice(1)}`],
    ['a Latin small capital (U+1D00)', `\u1D00${VALID.slice(1)}`],
    ['a combining mark after a letter', `a\u0301${VALID.slice(2)}`],
  ])('rejects %s', (_, value) => {
    expect(isSessionToken(value)).toBe(false)
  })
})

describe('hashSessionToken', () => {
  it('matches a fixed SHA-256 vector (from `printf %s aaaa… | sha256sum`)', () => {
    expect(hashSessionToken('a'.repeat(40)))
      .toBe('e33cdf9c7f7120b98e8c78408953e07f2ecd183006b5606df349b4c212acf43e')
  })

  it('equals node:crypto SHA-256 hex of the token', () => {
    for (let i = 0; i < 20; i++) {
      const token = generateSessionToken()
      expect(hashSessionToken(token)).toBe(createHash('sha256').update(token, 'utf8').digest('hex'))
    }
  })

  it('is 64 lower-case hex characters and not the token', () => {
    const token = generateSessionToken()
    const hash = hashSessionToken(token)
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    expect(hash).not.toBe(token)
    expect(hash).not.toContain(token)
  })

  it('is deterministic and differs between tokens', () => {
    const a = 'a'.repeat(40)
    const b = `${'a'.repeat(39)}b`
    expect(hashSessionToken(a)).toBe(hashSessionToken(a))
    expect(hashSessionToken(a)).not.toBe(hashSessionToken(b))
  })
})

describe('serializeSessionCookie', () => {
  const now = Date.UTC(2025, 0, 15, 12, 0, 0)
  const token = VALID

  it.each([true, false])('sets the token and every attribute (secure: %s)', (secure) => {
    const expiresAt = new Date(now + SESSION_LIFETIME_SECONDS * 1000)
    const cookie = parseSetCookie(serializeSessionCookie(token, expiresAt, { secure }, now))
    expect(cookie.name).toBe('auth_session')
    expect(cookie.value).toBe(token)
    expect(cookie.attributes.get('HttpOnly')).toBe(true)
    expect(cookie.attributes.get('SameSite')).toBe('Lax')
    expect(cookie.attributes.get('Path')).toBe('/')
    expect(cookie.attributes.get('Max-Age')).toBe(String(SESSION_LIFETIME_SECONDS))
    expect(cookie.attributes.get('Expires')).toBe(expiresAt.toUTCString())
    expect(cookie.attributes.has('Domain')).toBe(false)
    if (secure) expect(cookie.attributes.get('Secure')).toBe(true)
    else expect(cookie.attributes.has('Secure')).toBe(false)
    expect([...cookie.attributes.keys()].sort())
      .toEqual(['Expires', 'HttpOnly', 'Max-Age', 'Path', 'SameSite', ...(secure ? ['Secure'] : [])].sort())
  })

  it.each([
    [0, '0'],
    [1, '1'],
    [1000, '1'],
    [3600 * 1000, '3600'],
    [3600 * 1000 + 1, '3601'],
    // A session expiring on a whole second, made a moment past one, as newSession() makes them.
    [SESSION_LIFETIME_SECONDS * 1000 - 1, String(SESSION_LIFETIME_SECONDS)],
  ])('Max-Age is the seconds until expiry, rounded up so the cookie never ends before the session (%i ms → %s)', (ms, expected) => {
    const expiresAt = new Date(now + ms)
    const cookie = parseSetCookie(serializeSessionCookie(token, expiresAt, { secure: true }, now))
    expect(cookie.attributes.get('Max-Age')).toBe(expected)
    expect(cookie.attributes.get('Expires')).toBe(expiresAt.toUTCString())
  })

  it('never sets a negative Max-Age for an expiry in the past', () => {
    const expiresAt = new Date(now - 60_000)
    const cookie = parseSetCookie(serializeSessionCookie(token, expiresAt, { secure: false }, now))
    expect(cookie.attributes.get('Max-Age')).toBe('0')
  })
})

describe('serializeBlankSessionCookie', () => {
  it.each([true, false])('clears the cookie (secure: %s)', (secure) => {
    const header = serializeBlankSessionCookie({ secure })
    expect(header.startsWith('auth_session=; ')).toBe(true)
    const cookie = parseSetCookie(header)
    expect(cookie.name).toBe('auth_session')
    expect(cookie.value).toBe('')
    expect(cookie.attributes.get('Max-Age')).toBe('0')
    expect(cookie.attributes.get('HttpOnly')).toBe(true)
    expect(cookie.attributes.get('SameSite')).toBe('Lax')
    expect(cookie.attributes.get('Path')).toBe('/')
    if (secure) expect(cookie.attributes.get('Secure')).toBe(true)
    else expect(cookie.attributes.has('Secure')).toBe(false)
  })
})
