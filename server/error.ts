/**
 * Errors under /api are always JSON, whatever the Accept header. A 5xx gets a generic body with
 * the request id, its detail goes to the server log under the same id (as do the request's auth
 * events), and any Set-Cookie is dropped so that a client keeps its session cookie and can retry.
 */
export default defineNitroErrorHandler((error, event) => {
  if (!event.path.startsWith('/api/')) return

  const statusCode = error.statusCode || 500
  // An error ends no session: whatever a handler set before it threw, the client keeps its data.
  event.node.res.removeHeader('clear-site-data')
  let body: Record<string, unknown>
  if (statusCode >= 500) {
    const id = requestId(event)
    console.error(`[api] ${event.method} ${event.path} failed (request id ${id}):`, error.cause ?? error)
    event.node.res.removeHeader('set-cookie')
    setResponseHeader(event, 'x-request-id', id)
    body = { statusCode, statusMessage: 'Internal Server Error', message: 'The server could not complete the request. Please try again.', requestId: id }
  }
  else {
    body = { statusCode, statusMessage: error.statusMessage || 'Error', message: error.message, ...(error.data === undefined ? {} : { data: error.data }) }
  }
  setResponseStatus(event, statusCode, statusCode >= 500 ? 'Internal Server Error' : error.statusMessage)
  setResponseHeaders(event, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
  return send(event, JSON.stringify(body))
})
