/**
 * Asks for a reset link by email: 202 with the same body whether or not the email has an
 * account, without waiting for the mail (server/utils/password-reset.ts).
 */
export default defineEventHandler(async (event) => {
  requireMail()
  const { email } = await readPasswordResetRequest(event)
  await throttlePasswordResetRequest(event, email)
  const requested = await requestPasswordReset(event, email)
  if (requested) await emitAuthEvent(event, 'password-reset-requested', { userId: requested.userId })
  setResponseStatus(event, 202)
  return { message: 'If an account has this email, a link to reset its password is on its way.' }
})
