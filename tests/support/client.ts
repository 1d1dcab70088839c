import { randomUUID } from 'node:crypto'

export interface CallOptions {
  method?: string
  /** Sent as the Cookie header, verbatim. */
  cookie?: string
  /** JSON-encoded unless a string. */
  body?: unknown
  headers?: Record<string, string>
}

/** One request to a test server, no redirects followed, no cookie jar: every header is explicit. */
export function call(baseUrl: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.cookie !== undefined) headers.cookie = options.cookie
  let body: string | undefined
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
    headers['content-type'] ??= 'application/json'
  }
  return fetch(new URL(path, baseUrl), {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(15_000),
  })
}

export interface ParsedCookie {
  name: string
  value: string
  /** Attribute names lower-cased; flag attributes map to ''. */
  attributes: Record<string, string>
}

export function parseSetCookie(header: string): ParsedCookie {
  const [pair = '', ...rest] = header.split(';').map(s => s.trim())
  const eq = pair.indexOf('=')
  const attributes: Record<string, string> = {}
  for (const part of rest) {
    const i = part.indexOf('=')
    attributes[(i < 0 ? part : part.slice(0, i)).toLowerCase()] = i < 0 ? '' : part.slice(i + 1)
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes }
}

/** The response's `auth_session` Set-Cookie, parsed; undefined if it sets none. */
export function sessionSetCookie(response: Response): ParsedCookie | undefined {
  const cookies = response.headers.getSetCookie().map(parseSetCookie).filter(c => c.name === 'auth_session')
  if (cookies.length > 1) throw new Error(`more than one auth_session Set-Cookie: ${response.headers.getSetCookie().join(' | ')}`)
  return cookies[0]
}

export function uniqueEmail(): string {
  return `user-${randomUUID()}@example.com`
}

export const PASSWORD = 'correct horse battery staple'

/** Signs a new user up and returns the session token the server set. */
export async function signUpUser(baseUrl: string, email = uniqueEmail(), password = PASSWORD) {
  const response = await call(baseUrl, '/api/auth/signup', { body: { email, password } })
  if (response.status !== 201) throw new Error(`signup failed: ${response.status} ${await response.text()}`)
  const cookie = sessionSetCookie(response)
  if (!cookie?.value) throw new Error('signup set no session cookie')
  const { user } = await response.json() as { user: { id: string, email: string } }
  return { user, token: cookie.value, cookie: `auth_session=${cookie.value}` }
}
