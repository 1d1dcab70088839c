import type { IncomingMessage } from 'node:http'
import type { H3Event } from 'h3'

/**
 * The largest request body any /api route accepts. The biggest real one, signup's
 * `{ email, password }` (254 + 256 characters), is under 2 KiB even with every character
 * \u-escaped; anything past this is a 413 and is never buffered.
 */
export const MAX_API_BODY_BYTES = 16 * 1024

/**
 * A too-large body is still read off the connection (and dropped) up to this size and time
 * before the 413 is sent. Answering while the client is still sending and then closing makes
 * the kernel reset the connection (unread input), and a client that writes its whole body
 * before it reads, such as Node's http client or curl, would then see the reset and never the
 * 413. Up to this size the 413 always arrives, and the connection stays usable.
 */
const DRAIN_MAX_BYTES = 1024 * 1024
const DRAIN_MAX_MS = 5_000

/**
 * Past that, the 413 goes out at once and the connection is closed after it. A keep-alive
 * client is given a lingering close, as nginx does: FIN after the response, then what it still
 * sends is read and dropped for at most this long and this much, so that it can read the 413
 * before the connection is torn down. A request that asked for `Connection: close` is closed by
 * Node right after the response.
 */
const LINGER_MAX_BYTES = 8 * 1024 * 1024
const LINGER_MAX_MS = 5_000

/**
 * h3 v1 caches a request's raw body under this registered symbol, and readRawBody / readBody /
 * readValidatedBody serve it from there: the handlers get the bytes read here.
 */
const H3_RAW_BODY = Symbol.for('h3RawBody')

/**
 * Body limit for /api (runs first: Nitro orders middleware by file name). Every /api request
 * with a body has it read here, counting bytes, before any handler parses it:
 *
 * - within MAX_API_BODY_BYTES: kept for h3's body readers;
 * - past it, whether a Content-Length announced it or a chunked body grew past it: 413, after
 *   draining the rest (see DRAIN_MAX_BYTES), never holding more than the limit in memory.
 *
 * Node itself refuses a malformed, repeated or conflicting Content-Length with a 400.
 */
export default defineEventHandler(async (event) => {
  if (!event.path.startsWith('/api/')) return
  const req = event.node.req
  const declared = req.headers['content-length']
  const chunked = /\bchunked\b/i.test(String(req.headers['transfer-encoding'] ?? ''))
  if (declared === undefined && !chunked) return
  const declaredBytes = Number(declared ?? 0)
  if (!chunked && declaredBytes === 0) return
  // A body a platform has already buffered (SSR's internal fetch, a serverless launcher) is no
  // stream to read: only its announced size is checked, and h3 reads it as it always did.
  const prebuffered = !req.readable || 'body' in req || 'rawBody' in req || '__unenv__' in req
  if (prebuffered && declaredBytes <= MAX_API_BODY_BYTES) return
  if (prebuffered || declaredBytes > DRAIN_MAX_BYTES) throw bodyTooLarge(event, { drained: prebuffered })

  const result = await readBodyWithin(req, MAX_API_BODY_BYTES)
  if (result.tooLarge) throw bodyTooLarge(event, result)
  ;(req as IncomingMessage & { [H3_RAW_BODY]?: Promise<Buffer> })[H3_RAW_BODY] = Promise.resolve(result.body)
})

function bodyTooLarge(event: H3Event, { drained }: { drained: boolean }) {
  // With input left unread on the connection, nothing after this response could be framed.
  if (!drained) closeAfterResponse(event)
  return httpError({
    statusCode: 413,
    statusMessage: 'Content Too Large',
    message: `Request body larger than ${MAX_API_BODY_BYTES} bytes`,
  })
}

/** Ends the connection once the response is out: at once, or with a lingering close (see LINGER_MAX_BYTES). */
function closeAfterResponse(event: H3Event): void {
  const { req, res } = event.node
  if (req.httpVersion !== '1.1' || /\bclose\b/i.test(String(req.headers.connection ?? ''))) {
    setResponseHeader(event, 'connection', 'close')
    return
  }
  res.once('finish', () => {
    const socket = req.socket
    let dropped = 0
    const close = () => {
      clearTimeout(timer)
      socket.destroy()
    }
    const timer = setTimeout(close, LINGER_MAX_MS)
    req.on('data', (chunk: Buffer) => {
      dropped += chunk.length
      if (dropped > LINGER_MAX_BYTES) close()
    })
    // The body ended after all: the client is done sending and nothing is left to drop.
    req.once('end', close)
    req.resume()
    socket.end()
  })
}

type BodyResult = { tooLarge: false, body: Buffer } | { tooLarge: true, drained: boolean }

/**
 * Reads the request body: the whole of it if it is at most `limit` bytes; otherwise only counts
 * and drops the rest until it ends (drained) or passes DRAIN_MAX_BYTES or DRAIN_MAX_MS (not
 * drained: the rest stays unread). A client that goes away mid-body rejects, ending the request.
 */
function readBodyWithin(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let timer: ReturnType<typeof setTimeout> | undefined
    const settle = (result: BodyResult | Error) => {
      clearTimeout(timer)
      req.off('data', onData).off('end', onEnd).off('error', settle).off('close', onClose)
      if (result instanceof Error) {
        reject(httpError({ statusCode: 400, statusMessage: 'Bad Request', message: 'Request body could not be read', cause: result }))
      }
      else {
        if (result.tooLarge && !result.drained) req.pause()
        resolve(result)
      }
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) chunks.push(chunk)
      else if (size > DRAIN_MAX_BYTES) settle({ tooLarge: true, drained: false })
      else if (timer === undefined) {
        chunks.length = 0
        timer = setTimeout(() => settle({ tooLarge: true, drained: false }), DRAIN_MAX_MS)
      }
    }
    const onEnd = () => settle(size <= limit ? { tooLarge: false, body: Buffer.concat(chunks, size) } : { tooLarge: true, drained: true })
    const onClose = () => settle(new Error('the client closed the connection before the body ended'))
    req.on('data', onData).on('end', onEnd).on('error', settle).on('close', onClose)
  })
}
