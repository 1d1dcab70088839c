import { randomBytes, randomUUID } from 'node:crypto'
import { Agent, request } from 'node:http'

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

/**
 * Like call(), but from another loopback address (say 127.0.0.2), so that the server sees
 * another client: fetch cannot choose the address it connects from, node:http can.
 */
export function callFrom(localAddress: string, baseUrl: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.cookie !== undefined) headers.cookie = options.cookie
  let body: string | undefined
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
    headers['content-type'] ??= 'application/json'
  }
  const method = options.method ?? (body === undefined ? 'GET' : 'POST')
  return sendOver(new URL(path, baseUrl), { method, headers, body, agent: false, localAddress }).answered
}

interface SendOptions {
  method: string
  headers: Record<string, string>
  body?: string
  /** false: a connection of its own. */
  agent: Agent | false
  localAddress?: string
}

/** One node:http request: when it has been handed to the kernel, and its answer. */
function sendOver(url: URL, { method, headers, body, agent, localAddress }: SendOptions) {
  let handedOver!: Promise<void>
  const answered = new Promise<Response>((resolve, reject) => {
    const req = request(url, { method, headers, localAddress, agent, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const responseHeaders = new Headers()
        for (const [name, value] of Object.entries(res.headers)) {
          for (const one of [value ?? []].flat()) responseHeaders.append(name, one)
        }
        resolve(new Response(res.statusCode === 204 ? null : Buffer.concat(chunks), { status: res.statusCode, headers: responseHeaders }))
      })
      res.on('error', reject)
    })
    handedOver = new Promise((done, fail) => {
      req.once('finish', done)
      req.once('error', fail)
    })
    req.on('timeout', () => req.destroy(new Error(`${url.pathname}${url.search}: no answer in 15 s`)))
    req.on('error', reject)
    req.end(body)
  })
  // A caller that stops at an earlier failure leaves these unawaited: no unhandled rejection.
  handedOver.catch(() => {})
  answered.catch(() => {})
  return { handedOver, answered }
}

/** A loopback address other than 127.0.0.1, different at each call: a client of its own. */
export function newLoopbackAddress(): string {
  const [a = 0, b = 0, c = 0] = randomBytes(3)
  return `127.${a}.${b}.${2 + (c % 250)}`
}

export interface RequestTogether {
  method: 'GET' | 'POST'
  path: string
  cookie?: string
}

/**
 * Sends `requests` so that they reach the server together, and gives each one's status and body
 * text. Each goes over a kept-alive connection of its own opened beforehand, while `hold` keeps
 * the server from answering (it stalls the server, say behind a write lock, and resolves with
 * its release), and that is released once every request has been handed to the kernel. So the
 * requests sit in the server's socket buffers together, and a server that runs what arrives in
 * one turn of its event loop as one batch (server/database/sqlite.ts) gets them in one batch,
 * or at most in two, whatever the timing.
 */
export async function sendTogether(baseUrl: string, requests: RequestTogether[], hold: () => Promise<() => Promise<void>>) {
  const agent = new Agent({ keepAlive: true })
  try {
    await Promise.all(requests.map(() => sendOn(agent, baseUrl, { method: 'GET', path: '/api/health' }).answered))
    const release = await hold()
    let sent: Array<ReturnType<typeof sendOn>>
    try {
      sent = requests.map(one => sendOn(agent, baseUrl, one))
      await Promise.all(sent.map(one => one.handedOver))
    }
    finally {
      await release()
    }
    return await Promise.all(sent.map(one => one.answered))
  }
  finally {
    agent.destroy()
  }
}

/** One request over `agent` (false: a connection of its own): when it has been handed to the kernel, and its status and body. */
export function sendOn(agent: Agent | false, baseUrl: string, { method, path, cookie }: RequestTogether) {
  const { handedOver, answered } = sendOver(new URL(path, baseUrl), { method, headers: cookie === undefined ? {} : { cookie }, agent })
  const text = answered.then(async response => ({ status: response.status, body: await response.text() }))
  text.catch(() => {})
  return { handedOver, answered: text }
}
