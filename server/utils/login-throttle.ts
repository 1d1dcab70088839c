import type { H3Event } from 'h3'
import type { ThrottledAttempt } from './throttle'

/**
 * Brute-force protection for login (and for the password checks of reauthentication and
 * password change): at most `loginMaxFailures` failed attempts per email and per client address
 * within `loginWindowSeconds`, then 429 with Retry-After. The attempt counts from before the
 * password is checked; `succeeded()` takes it back.
 */
export const startLoginAttempt: (event: H3Event, email: string) => Promise<ThrottledAttempt> = defineThrottle('login', () => {
  const { loginMaxFailures, loginWindowSeconds } = authSettings()
  return { perEmail: loginMaxFailures, perAddress: loginMaxFailures, windowSeconds: loginWindowSeconds }
}, 'Too many failed login attempts. Try again later.')
