/**
 * Deletes the caller's account, every session and reset token with it; the other sessions then
 * answer 401 `account-deleted`. Needs recent authentication. 200 `true`, a blank cookie and
 * Clear-Site-Data.
 */
export default defineEventHandler(async (event) => {
  const { user, session } = requireRecentAuthentication(event)
  await deleteAccount(event, user, session.id)
  setSessionEndedHeaders(event)
  return true
})
