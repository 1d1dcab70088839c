export default defineEventHandler(async (event) => {
  const credentials = await readCredentials(event)
  const result = await signUp(event, credentials)
  if (!result) throw httpError({ statusCode: 409, statusMessage: 'Conflict', message: 'An account with this email already exists' })
  setSessionCookie(event, result.session.token, result.session.expiresAt)
  setResponseStatus(event, 201)
  return { user: result.user }
})
