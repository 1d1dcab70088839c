/** Ends the session the cookie names: 200 `true` if it was active, `false` if not (see docs/api.md). */
export default defineEventHandler(async (event) => {
  const { sessionId } = requireSessionCookie(event)
  const ended = await endSession(sessionId)
  // A log line only: logout stays one statement (no user lookup, no event row).
  if (ended) await emitAuthEvent(event, 'logout', { sessionId })
  setSessionEndedHeaders(event)
  return ended
})
