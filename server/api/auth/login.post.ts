export default defineEventHandler(async (event) => {
  const credentials = await readLoginCredentials(event)
  const attempt = await startLoginAttempt(event, credentials.email).catch(error => loginRefused(event, credentials.email, error))
  const result = await logIn(event, credentials)
  // One answer for an unknown email and a wrong password: no user enumeration.
  if (!result) throw httpError({ statusCode: 401, statusMessage: 'Unauthorized', message: 'Invalid email or password' })
  await attempt.succeeded()
  setSessionCookie(event, result.session.token, result.session.expiresAt)
  return { user: result.user }
})
