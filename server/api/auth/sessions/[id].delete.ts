/**
 * Ends one of the caller's sessions by its public id: 200 `true`, or 404 when no active session
 * of the caller has that id (another user's session is a 404 too, so ids reveal nothing).
 * Ending the caller's own current session this way is a logout: the cookie is blanked as well.
 */
export default defineEventHandler(async (event) => {
  const { user, session } = requireSession(event)
  const ended = await endUserSession(user.id, getRouterParam(event, 'id') ?? '')
  if (!ended) throw createError({ statusCode: 404, statusMessage: 'Not Found', message: 'No such session' })
  // Ending one's own session this way is a logout (a log line only); another one, a revocation by this one.
  await emitAuthEvent(event, ended === session.id ? 'logout' : 'session-revoked', { userId: user.id, sessionId: session.id })
  if (ended === session.id) setBlankSessionCookie(event)
  return true
})
