/**
 * Changes the password, the current one being the re-authentication: every other session ends
 * (reason `password-changed`) and the caller's is replaced: 200 `{ endedSessions: N }`.
 */
export default defineEventHandler(async (event) => {
  const { user, session } = requireSession(event)
  const passwords = await readPasswordChange(event)
  const changed = await changePassword(event, user, session.id, passwords)
  setSessionCookie(event, changed.session.token, changed.session.expiresAt)
  return { endedSessions: changed.endedSessions }
})
