import { connect } from 'node:net'

/**
 * HTTP/1.1 at the byte level, for what fetch and node:http refuse to send or would normalise:
 * control bytes and raw UTF-8 in header values, repeated headers, methods such as TRACE,
 * bodies that lie about their length, pipelined requests.
 */

export interface RawResponse {
  status: number
  statusText: string
  /** Header names lower-cased; repeated headers in order. */
  headers: Record<string, string[]>
  body: string
}

export interface RawResult {
  /** Every complete response the server sent on the connection, in order. */
  responses: RawResponse[]
  /** How the connection ended: closed by the server, reset, or still open at the timeout. */
  ended: 'closed' | 'reset' | 'timeout'
}

export interface RawRequestOptions {
  method?: string
  path: string
  /** Sent in this order, each as its own header line; a Buffer value is sent byte for byte. */
  headers?: [string, string | Buffer][]
  body?: string | Buffer
  /** Give up waiting for the server to close after this long (the connection is then dropped). */
  timeoutMs?: number
}

/** Serialises one request (Host and `Connection: close` first, Content-Length if a body is given and none is). */
export function rawRequestBytes(baseUrl: string, options: RawRequestOptions): Buffer {
  const { host } = new URL(baseUrl)
  const headers = options.headers ?? []
  const body = options.body === undefined ? undefined : Buffer.from(options.body)
  const lines: Buffer[] = [Buffer.from(`${options.method ?? 'GET'} ${options.path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n`)]
  for (const [name, value] of headers) lines.push(Buffer.from(`${name}: `), Buffer.from(value), Buffer.from('\r\n'))
  if (body && !headers.some(([name]) => /^(content-length|transfer-encoding)$/i.test(name))) {
    lines.push(Buffer.from(`Content-Length: ${body.length}\r\n`))
  }
  lines.push(Buffer.from('\r\n'))
  if (body) lines.push(body)
  return Buffer.concat(lines)
}

/** Sends one request and reads until the server closes the connection. */
export async function rawRequest(baseUrl: string, options: RawRequestOptions): Promise<RawResponse> {
  const result = await rawExchange(baseUrl, [rawRequestBytes(baseUrl, options)], { timeoutMs: options.timeoutMs })
  const [response] = result.responses
  if (!response) throw new Error(`no response (connection ${result.ended}) to ${options.method ?? 'GET'} ${options.path}`)
  return response
}

export interface ExchangeOptions {
  timeoutMs?: number
  /** Wait this long between writing two parts. */
  pauseMs?: number
  /** Stop writing (but keep reading) once the server has sent this many responses. */
  stopWritingAfter?: number
}

/**
 * Writes the parts in order on one connection while reading everything the server sends, and
 * parses the responses when the connection ends (or at the timeout).
 */
export function rawExchange(baseUrl: string, parts: Iterable<Buffer> | AsyncIterable<Buffer>, options: ExchangeOptions = {}): Promise<RawResult> {
  const { hostname, port } = new URL(baseUrl)
  const timeoutMs = options.timeoutMs ?? 15_000
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname)
    const received: Buffer[] = []
    let done = false
    const finish = (ended: RawResult['ended']) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ responses: parseResponses(Buffer.concat(received)), ended })
    }
    const timer = setTimeout(() => finish('timeout'), timeoutMs)
    socket.on('data', (chunk: Buffer) => received.push(chunk))
    socket.on('end', () => finish('closed'))
    socket.on('close', () => finish('closed'))
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'closed'))
    socket.once('connect', async () => {
      try {
        for await (const part of parts) {
          if (done || socket.destroyed) return
          if (options.stopWritingAfter !== undefined && parseResponses(Buffer.concat(received)).length >= options.stopWritingAfter) return
          if (!socket.write(part)) await new Promise(r => socket.once('drain', r))
          if (options.pauseMs) await new Promise(r => setTimeout(r, options.pauseMs))
        }
      }
      catch {
        // The server closed the connection while we wrote: what it sent is still parsed.
      }
    })
  })
}

/** Parses back-to-back HTTP/1.1 responses; an incomplete last one is left out. */
export function parseResponses(data: Buffer): RawResponse[] {
  const responses: RawResponse[] = []
  let offset = 0
  while (offset < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', offset)
    if (headEnd < 0) break
    const [statusLine = '', ...headerLines] = data.subarray(offset, headEnd).toString('latin1').split('\r\n')
    const match = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(statusLine)
    if (!match) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine)}`)
    const headers: Record<string, string[]> = {}
    for (const line of headerLines) {
      const colon = line.indexOf(':')
      const name = line.slice(0, colon).trim().toLowerCase()
      ;(headers[name] ??= []).push(line.slice(colon + 1).trim())
    }
    let bodyStart = headEnd + 4
    let body: Buffer
    const status = Number(match[1])
    if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
      body = Buffer.alloc(0)
    }
    else if (headers['content-length']) {
      const length = Number(headers['content-length'][0])
      if (bodyStart + length > data.length) break
      body = data.subarray(bodyStart, bodyStart + length)
      bodyStart += length
    }
    else if (/chunked/i.test(headers['transfer-encoding']?.join(',') ?? '')) {
      const chunks: Buffer[] = []
      let cursor = bodyStart
      let complete = false
      for (;;) {
        const lineEnd = data.indexOf('\r\n', cursor)
        if (lineEnd < 0) break
        const size = Number.parseInt(data.subarray(cursor, lineEnd).toString('latin1'), 16)
        if (size === 0) {
          const trailerEnd = data.indexOf('\r\n\r\n', lineEnd)
          if (trailerEnd < 0) break
          cursor = trailerEnd + 4
          complete = true
          break
        }
        if (lineEnd + 2 + size + 2 > data.length) break
        chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size))
        cursor = lineEnd + 2 + size + 2
      }
      if (!complete) break
      body = Buffer.concat(chunks)
      bodyStart = cursor
    }
    else {
      // Delimited by the end of the connection (Node's own 400/431 answers have no body at all).
      body = data.subarray(bodyStart)
      bodyStart = data.length
    }
    responses.push({ status, statusText: match[2] ?? '', headers, body: body.toString('utf8') })
    offset = bodyStart
  }
  return responses
}
