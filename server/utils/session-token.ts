import { hash } from 'node:crypto'
import { serialize } from 'cookie-es'
import { parseCookies, type H3Event } from 'h3'
import { generateIdFromEntropySize } from 'lucia'

/**
 * Everything about the tokens the app hands out lives here: the session token's format, its
 * hash (the only form the database ever sees) and the cookie that carries it; and the mailed
 * password-reset token, stored the same way.
 */

export const SESSION_COOKIE_NAME = 'auth_session'

/** 25 bytes (200 bits) from the CSPRNG, lower-case base32: exactly 40 characters. */
const TOKEN_ENTROPY_BYTES = 25
const TOKEN_PATTERN = /^[a-z2-7]{40}$/

export function generateSessionToken(): string {
  return generateIdFromEntropySize(TOKEN_ENTROPY_BYTES)
}

export function isSessionToken(value: string): boolean {
  return TOKEN_PATTERN.test(value)
}

/** The session row's id: lower-case hex SHA-256 of the token, so a copy of the database yields no usable cookie. */
export function hashSessionToken(token: string): string {
  return sha256Hex(token)
}

/** A password-reset token: 20 bytes (160 bits) from the CSPRNG, lower-case base32: exactly 32 characters. */
const RESET_TOKEN_ENTROPY_BYTES = 20
const RESET_TOKEN_PATTERN = /^[a-z2-7]{32}$/

export function generateResetToken(): string {
  return generateIdFromEntropySize(RESET_TOKEN_ENTROPY_BYTES)
}

export function isResetToken(value: string): boolean {
  return RESET_TOKEN_PATTERN.test(value)
}

/** The password_reset row's id, as for sessions: the mailed token itself is never stored. */
export function hashResetToken(token: string): string {
  return sha256Hex(token)
}

/** One-shot hashing: on every signed-in request, and cheaper than a Hash object (docs/benchmarks.md). */
function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex')
}

export type SessionCookie
  = | { state: 'absent' }
    | { state: 'malformed' }
    | { state: 'present', token: string, sessionId: string }

/** Reads the request's `auth_session` cookie; an empty value counts as absent. */
export function readSessionCookie(event: H3Event): SessionCookie {
  const value = parseCookies(event)[SESSION_COOKIE_NAME]
  if (!value) return { state: 'absent' }
  if (!isSessionToken(value)) return { state: 'malformed' }
  return { state: 'present', token: value, sessionId: hashSessionToken(value) }
}

export interface CookieOptions {
  secure: boolean
}

export function serializeSessionCookie(token: string, expiresAt: Date, options: CookieOptions, now = Date.now()): string {
  return serialize(SESSION_COOKIE_NAME, token, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: options.secure,
    // Rounded up: a session expiring on a whole second, made a moment past one, gets its full
    // lifetime rather than a second less (Expires, whole seconds too, says the same).
    maxAge: Math.max(0, Math.ceil((expiresAt.getTime() - now) / 1000)),
    expires: expiresAt,
  })
}

export function serializeBlankSessionCookie(options: CookieOptions): string {
  return serialize(SESSION_COOKIE_NAME, '', {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: options.secure,
    maxAge: 0,
  })
}

/**
 * `Secure` in production unless NUXT_AUTH_COOKIE_SECURE=false; never in development. Read from
 * the config as it was at start (see server/middleware/1.api-guard.ts for why not per event).
 */
export function sessionCookieOptions(): CookieOptions {
  return { secure: !import.meta.dev && useRuntimeConfig().auth.cookieSecure !== false }
}

export function setSessionCookie(event: H3Event, token: string, expiresAt: Date): void {
  replaceSessionCookieHeader(event, serializeSessionCookie(token, expiresAt, sessionCookieOptions()))
}

export function setBlankSessionCookie(event: H3Event): void {
  replaceSessionCookieHeader(event, serializeBlankSessionCookie(sessionCookieOptions()))
}

/**
 * For a response that ends the caller's own session: the blank cookie, and `Clear-Site-Data:
 * "storage"` so that the signed-in user's local data goes with the session (ASVS 14.3.1). Not
 * "cache" (it stalls Chromium for seconds; pages are no-store anyway), not "cookies" (it would
 * reach every subdomain). server/error.ts drops it again from any error response.
 */
export function setSessionEndedHeaders(event: H3Event): void {
  setBlankSessionCookie(event)
  setResponseHeader(event, 'clear-site-data', '"storage"')
}

/** The last word on the session cookie wins: a handler can override what the middleware set. */
function replaceSessionCookieHeader(event: H3Event, cookie: string): void {
  const previous = event.node.res.getHeader('set-cookie')
  const others = [previous ?? []].flat().map(String).filter(c => !c.startsWith(`${SESSION_COOKIE_NAME}=`))
  event.node.res.setHeader('set-cookie', [...others, cookie])
}

/**
 * The session cookie a request must carry: a missing or empty one is a 401; a malformed one is
 * a 401 that also blanks it, so the browser stops sending it.
 */
export function requireSessionCookie(event: H3Event): { token: string, sessionId: string } {
  const cookie = readSessionCookie(event)
  if (cookie.state === 'present') return cookie
  if (cookie.state === 'malformed') setBlankSessionCookie(event)
  throw httpError({ statusCode: 401, statusMessage: 'Unauthorized', message: 'No valid session cookie' })
}
