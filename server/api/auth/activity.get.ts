/** The caller's last 50 security events, newest first: `[{ type, at, userAgent, ipAddress, current }]` (see docs/api.md). */
export default defineEventHandler(async (event) => {
  const { user, session } = requireSession(event)
  return listSecurityActivity(user.id, session.id)
})
