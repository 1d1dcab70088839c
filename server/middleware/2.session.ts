/**
 * Puts the signed-in user and session on event.context, re-sends the cookie when the session
 * slides, and blanks a cookie that names no valid session. Routes that never read the session
 * are left alone: logout answers from the cookie itself, and validating (or sliding) a session
 * it is about to end would only cost a query; the health check needs no user.
 *
 * Only when the cookie names no active session is it looked up why (session_end), so that a
 * valid request costs nothing extra; requireSession puts the reason in its 401. A cookie whose
 * session ended for a known reason is not blanked: blanking it would tell only the first request
 * that carried it (often one the app never sees, such as the browser's favicon fetch) why, and
 * every later 401 of that browser nothing. It names nothing usable; logout blanks it and the
 * next log-in replaces it.
 */
const SESSIONLESS_PATHS = new Set(['/api/auth/logout', '/api/health'])

export default defineEventHandler(async (event) => {
  event.context.user = null
  event.context.session = null
  if (SESSIONLESS_PATHS.has(event.path.split('?', 1)[0]!)) return

  const cookie = readSessionCookie(event)
  if (cookie.state === 'absent') return
  if (cookie.state === 'malformed') {
    setBlankSessionCookie(event)
    return
  }
  const result = await validateSession(cookie.sessionId)
  if (result.state !== 'valid') {
    event.context.sessionEndReason = result.state === 'expired' ? 'expired' : await sessionEndReason(cookie.sessionId)
    if (!event.context.sessionEndReason) setBlankSessionCookie(event)
    return
  }
  event.context.user = result.user
  event.context.session = result.session
  if (result.extended) setSessionCookie(event, cookie.token, result.session.expiresAt)
})
