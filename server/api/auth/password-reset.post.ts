/**
 * Asks for a reset link by email: 202 with the same body, at once, whether or not the email has
 * an account; the rest happens in the background (server/utils/password-reset.ts).
 */
export default defineEventHandler(async (event) => {
  requireMail()
  const { email } = await readPasswordResetRequest(event)
  await countPasswordResetRequest(event, email)
  startPasswordReset(event, email)
  setResponseStatus(event, 202)
  return { message: 'If an account has this email, a link to reset its password is on its way.' }
})
