/**
 * Ends one of the caller's sessions by its public id: 200 `true`, or 404 when no active session
 * of the caller has that id (another user's session is a 404 too, so ids reveal nothing).
 * Ending another session needs recent authentication, checked first: any id but the caller's
 * own gets the 403, known or not. Ending the caller's own current session this way is a logout:
 * the cookie is blanked, with Clear-Site-Data, and no reason is recorded.
 */
export default defineEventHandler(async (event) => {
  const { user, session } = requireSession(event)
  const id = getRouterParam(event, 'id') ?? ''
  const own = id === publicSessionId(session.id)
  if (!own) requireRecentAuthentication(event)
  const ended = await endUserSession(user.id, id, session.id)
  if (!ended) throw httpError({ statusCode: 404, statusMessage: 'Not Found', message: 'No such session' })
  if (own) {
    await emitAuthEvent(event, 'logout', { userId: user.id, sessionId: session.id })
    setSessionEndedHeaders(event)
  }
  else {
    await emitAuthEvent(event, 'session-revoked', { userId: user.id, sessionId: session.id })
  }
  return true
})
