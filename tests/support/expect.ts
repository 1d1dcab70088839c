import { expect } from 'vitest'
import type { ParsedCookie } from './client'

/** The contract's blank cookie: `auth_session=` with Max-Age=0 and the session cookie's attributes. */
export function expectBlankCookie(cookie: ParsedCookie | undefined) {
  expect(cookie).toBeDefined()
  expect(cookie!.value).toBe('')
  expect(cookie!.attributes['max-age']).toBe('0')
  expect(cookie!.attributes.path).toBe('/')
  expect(cookie!.attributes.samesite).toBe('Lax')
  expect(cookie!.attributes).toHaveProperty('httponly')
}

/** A JSON error in h3's shape with this status, and nothing from inside the server in it. */
export async function expectJsonError(response: Response, status: number) {
  expect(response.status).toBe(status)
  expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  const body = await response.json() as Record<string, unknown>
  expect(body.statusCode).toBe(status)
  expect(typeof body.message).toBe('string')
  expect(JSON.stringify(body)).not.toMatch(/\bat .+:\d+:\d+|SQLITE|select |delete from/i)
  return body
}
