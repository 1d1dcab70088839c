import { randomUUID } from 'node:crypto'
import type { H3Event } from 'h3'

/** What a trusted proxy's request id may look like to be taken over: short, and safe in a log line. */
const FORWARDED_ID = /^[\w.:-]{1,128}$/

/**
 * The id the server's log lines for this request carry (auth events, a 5xx's detail), so an
 * operator can put them together. Made on first use only, so requests that log nothing pay
 * nothing. Behind a trusted proxy (NUXT_AUTH_TRUST_PROXY=true) the proxy's `X-Request-Id` is
 * kept, so the app's lines match the proxy's own.
 */
export function requestId(event: H3Event): string {
  event.context.requestId ??= forwardedRequestId(event) ?? randomUUID()
  return event.context.requestId
}

function forwardedRequestId(event: H3Event): string | undefined {
  if (useRuntimeConfig().auth.trustProxy !== true) return undefined
  const id = getRequestHeader(event, 'x-request-id')
  return id && FORWARDED_ID.test(id) ? id : undefined
}
