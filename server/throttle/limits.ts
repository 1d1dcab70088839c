import type { ThrottleLimits } from './count-attempt'

/** The contract's limits for asking for a reset mail: every request counts. */
export const PASSWORD_RESET_REQUEST_LIMITS: ThrottleLimits = { perEmail: 5, perAddress: 20, windowSeconds: 900 }

/** The contract's limit for failed reset confirmations (unknown, expired or used tokens). */
export const PASSWORD_RESET_CONFIRM_LIMITS: ThrottleLimits = { perAddress: 10, windowSeconds: 900 }
