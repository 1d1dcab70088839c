/** What each stored event says on the account page, in words a person reads at a glance. */
const ACTIVITY_WORDS: Record<ActivityType, string> = {
  'signup': 'Account created',
  'login': 'Signed in',
  'login-failed': 'Failed sign-in attempt',
  'login-throttled': 'Sign-in blocked after too many failed attempts',
  'logout-all': 'Signed out everywhere',
  'session-revoked': 'Signed out another device',
  'reauthenticated': 'Confirmed password',
  'reauthentication-failed': 'Wrong password when confirming it',
  'password-changed': 'Password changed',
  'password-reset-requested': 'Password reset requested',
  'password-reset': 'Password reset by email',
}

/** "Signed in", "Failed sign-in attempt", …; a type this build does not know is shown as it is. */
export function describeActivity(type: string): string {
  return ACTIVITY_WORDS[type as ActivityType] ?? type
}

const UNITS: ReadonlyArray<readonly [unit: Intl.RelativeTimeFormatUnit, seconds: number]> = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
]

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })

/** "just now", "2 minutes ago", "yesterday", "3 months ago": how long before `now` (ms) `at` was. */
export function timeAgo(at: string, now: number): string {
  const seconds = Math.max(0, (now - Date.parse(at)) / 1000)
  for (const [unit, size] of UNITS) {
    if (seconds >= size) return relative.format(-Math.floor(seconds / size), unit)
  }
  return 'just now'
}
