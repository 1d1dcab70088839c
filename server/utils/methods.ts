/**
 * The handler for a route's other methods: 405 with `Allow`, as JSON (server/error.ts keeps
 * /api errors JSON even when a browser asks for HTML).
 */
export function methodNotAllowed(...allowed: string[]) {
  return defineEventHandler((event) => {
    setResponseHeader(event, 'allow', allowed.join(', '))
    throw httpError({ statusCode: 405, statusMessage: 'Method Not Allowed', message: `Use ${allowed.join(' or ')}` })
  })
}
