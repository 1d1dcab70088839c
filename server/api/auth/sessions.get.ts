/** The caller's active sessions: `[{ id, createdAt, expiresAt, userAgent, current }]` (see docs/api.md). */
export default defineEventHandler(async (event) => {
  const { user, session } = requireSession(event)
  return listSessions(user.id, session.id)
})
