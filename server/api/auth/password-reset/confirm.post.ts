/** Sets a new password with a mailed token: every session of the user ends, a new one starts here. */
export default defineEventHandler(async (event) => {
  requireMail()
  const { token, newPassword } = await readPasswordResetConfirmation(event)
  const attempt = await countPasswordResetConfirm(event)
  const result = await resetPassword(event, token, newPassword)
  if (!result) {
    throw httpError({ statusCode: 400, statusMessage: 'Bad Request', message: 'This reset link is invalid, expired or already used', data: { reason: 'invalid-token' } })
  }
  await attempt.succeeded()
  await emitAuthEvent(event, 'password-reset', { userId: result.user.id, sessionId: result.session.row.id })
  setSessionCookie(event, result.session.token, result.session.expiresAt)
  return { user: result.user }
})
