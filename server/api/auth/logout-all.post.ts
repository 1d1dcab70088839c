/** Ends every session of the caller, this one included: 200 `{ ended: N }` and a blank cookie. */
export default defineEventHandler(async (event) => {
  const { user } = requireSession(event)
  const ended = await endAllUserSessions(user.id)
  setBlankSessionCookie(event)
  return { ended }
})
