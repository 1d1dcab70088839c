import { PASSWORD_RESET_CONFIRM_LIMITS, PASSWORD_RESET_REQUEST_LIMITS } from '../throttle/limits'

/**
 * POST /api/auth/password-reset: `await countPasswordResetRequest(event, email)` before anything
 * else; every request counts (never call `succeeded()`), on counters of its own, not log-in's.
 */
export const countPasswordResetRequest = defineThrottle('password-reset', PASSWORD_RESET_REQUEST_LIMITS, 'Too many password reset requests. Try again later.')

/**
 * POST /api/auth/password-reset/confirm: `const attempt = await countPasswordResetConfirm(event)`
 * before the token is looked up, `await attempt.succeeded()` once it was live: only failures count.
 */
export const countPasswordResetConfirm = defineThrottle('password-reset-confirm', PASSWORD_RESET_CONFIRM_LIMITS)
