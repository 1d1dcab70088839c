/**
 * Confirms the password and replaces the caller's session by a new, recently authenticated one
 * (new token, new row): 200 `{ reauthenticatedUntil }`. A wrong password is a 403
 * `invalid-password` and counts as a failed login.
 */
export default defineEventHandler(async (event) => {
  const { user, session } = requireSession(event)
  const { password } = await readReauthentication(event)
  const renewed = await reauthenticate(event, user, session.id, password)
  setSessionCookie(event, renewed.token, renewed.expiresAt)
  return { reauthenticatedUntil: reauthenticatedUntil(renewed.createdAt).toISOString() }
})
