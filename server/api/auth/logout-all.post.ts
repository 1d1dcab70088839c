/** Ends every session of the caller, this one included: 200 `{ ended: N }` and a blank cookie. */
export default defineEventHandler(async (event) => {
  const { user, session } = requireSession(event)
  const ended = await endAllUserSessions(user.id)
  await emitAuthEvent(event, 'logout-all', { userId: user.id, sessionId: session.id })
  setBlankSessionCookie(event)
  return { ended }
})
