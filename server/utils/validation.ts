import type { H3Event } from 'h3'
import { z } from 'zod'

const emailSchema = z.string().trim().toLowerCase().max(254, 'must be at most 254 characters').pipe(z.email('must be a valid email address'))
// NIST 800-63B: a length range, no composition rules.
const passwordSchema = z.string().min(8, 'must be at least 8 characters').max(256, 'must be at most 256 characters')

const credentialsSchema = z.object({ email: emailSchema, password: passwordSchema })

/** Reads `{ email, password }` from a JSON body (see readJsonBody). */
export function readCredentials(event: H3Event): Promise<Credentials> {
  return readJsonBody(event, credentialsSchema)
}

/** Reads `{ email }`, as at sign-up, for POST /api/auth/password-reset. */
export function readPasswordResetRequest(event: H3Event): Promise<{ email: string }> {
  return readJsonBody(event, z.object({ email: emailSchema }))
}

/** Reads `{ token, newPassword }` for POST /api/auth/password-reset/confirm; the token's format is checked with the token. */
export function readPasswordResetConfirmation(event: H3Event): Promise<{ token: string, newPassword: string }> {
  return readJsonBody(event, z.object({ token: z.string().max(256, 'must be at most 256 characters'), newPassword: passwordSchema }))
}

/**
 * Reads a JSON body with this schema. A wrong content type, malformed JSON or an invalid field
 * is a 400 whose message names the field(s) and whose data.fields says why.
 */
async function readJsonBody<T>(event: H3Event, schema: z.ZodType<T>): Promise<T> {
  const contentType = getRequestHeader(event, 'content-type') ?? ''
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    throw createError({ statusCode: 400, statusMessage: 'Bad Request', message: 'Expected a JSON body (Content-Type: application/json)' })
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
