import type { H3Event } from 'h3'
import { z } from 'zod'

const email = z.string().trim().toLowerCase().max(254, 'must be at most 254 characters').pipe(z.email('must be a valid email address'))
// NIST 800-63B: a length range, no composition rules. For a password being set.
const newPassword = z.string().min(8, 'must be at least 8 characters').max(256, 'must be at most 256 characters')
// A password being checked, not set: any length a password may have had is checked, so that a
// rule for new passwords never locks out an older account (a wrong one is a 401/403, not a 400).
const givenPassword = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters')

const credentialsSchema = z.object({ email, password: newPassword })
const loginSchema = z.object({ email, password: givenPassword })
const reauthenticationSchema = z.object({ password: givenPassword })
const passwordChangeSchema = z.object({ currentPassword: givenPassword, newPassword })

/** Sign-up's `{ email, password }`, the password as a new one (8 to 256 characters). */
export function readCredentials(event: H3Event): Promise<Credentials> {
  return readJsonBody(event, credentialsSchema)
}

/** Log-in's `{ email, password }`: the password is only checked, so any 1 to 256 characters. */
export function readLoginCredentials(event: H3Event): Promise<Credentials> {
  return readJsonBody(event, loginSchema)
}

/** POST /api/auth/reauthenticate's `{ password }`. */
export function readReauthentication(event: H3Event): Promise<{ password: string }> {
  return readJsonBody(event, reauthenticationSchema)
}

/** POST /api/auth/password's `{ currentPassword, newPassword }`. */
export function readPasswordChange(event: H3Event): Promise<{ currentPassword: string, newPassword: string }> {
  return readJsonBody(event, passwordChangeSchema)
}

/** Reads `{ email }`, as at sign-up, for POST /api/auth/password-reset. */
export function readPasswordResetRequest(event: H3Event): Promise<{ email: string }> {
  return readJsonBody(event, z.object({ email }))
}

/**
 * Reads `{ token, newPassword }` for POST /api/auth/password-reset/confirm. Any token that is not
 * a string reads as '': the token is checked with the token, so a missing, malformed or foreign
 * one is an `invalid-token` like an unknown one, and counts as a failure.
 */
export function readPasswordResetConfirmation(event: H3Event): Promise<{ token: string, newPassword: string }> {
  return readJsonBody(event, z.object({ token: z.unknown().transform(token => typeof token === 'string' ? token : ''), newPassword }))
}

/**
 * Reads a JSON body and checks it against `schema`. A wrong content type, malformed JSON or an
 * invalid field is a 400 whose message names the field(s) and whose data.fields says why.
 */
async function readJsonBody<T>(event: H3Event, schema: z.ZodType<T>): Promise<T> {
  const contentType = getRequestHeader(event, 'content-type') ?? ''
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    throw httpError({ statusCode: 400, statusMessage: 'Bad Request', message: 'Expected a JSON body (Content-Type: application/json)' })
  }
  return readValidatedBody(event, (body) => {
    const result = schema.safeParse(body)
    if (result.success) return result.data
    const fields: Record<string, string> = {}
    for (const issue of result.error.issues) {
      const field = typeof issue.path[0] === 'string' ? issue.path[0] : 'body'
      fields[field] ??= field === 'body' ? 'must be a JSON object' : issue.message
    }
    // h3 turns this into a 400 with our message; `data` is this error as JSON: { fields }.
    throw Object.assign(new Error(`Invalid ${Object.keys(fields).join(' and ')}`), { fields })
  })
}
