import type { H3Event } from 'h3'

/**
 * THROTTLE CALL SITES, NOT YET WIRED: the throttle module is being rewritten (on
 * rate-limiter-flexible) in parallel, and the reset throttles are to be built on it when the two
 * are merged. Each endpoint calls exactly one of these, in the place the throttle belongs; until
 * they are wired, they let every request through. Contract ("Password reset by email"):
 * counters of their own, never log-in's.
 */

/** POST /api/auth/password-reset: every request counts, at most 5 per email and 20 per client address in 900 s, then 429 with Retry-After. */
export async function throttlePasswordResetRequest(_event: H3Event, _email: string): Promise<void> {}

/**
 * POST /api/auth/password-reset/confirm: an unknown, expired or used token counts as a failure
 * per client address, at most 10 in 900 s, then 429 with Retry-After. Same shape as
 * startLoginAttempt: call before the token is tried, `succeeded()` once it worked.
 */
export async function startPasswordResetConfirmAttempt(_event: H3Event) {
  return { succeeded: async () => {} }
}
