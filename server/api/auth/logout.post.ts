/** Ends the session the cookie names: 200 `true` if it was active, `false` if not (see docs/api.md). */
export default defineEventHandler(async (event) => {
  const { sessionId } = requireSessionCookie(event)
  const ended = await endSession(sessionId)
  setSessionEndedHeaders(event)
  return ended
})
