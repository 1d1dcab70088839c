/**
 * Ends every session of the caller, this one included, each recorded as `logged-out-everywhere`:
 * 200 `{ ended: N }`, a blank cookie and Clear-Site-Data. Needs recent authentication.
 */
export default defineEventHandler(async (event) => {
  const { user, session } = requireRecentAuthentication(event)
  const ended = await endAllUserSessions(user.id, 'logged-out-everywhere')
  await emitAuthEvent(event, 'logout-all', { userId: user.id, sessionId: session.id })
  setSessionEndedHeaders(event)
  return { ended: ended.length }
})
