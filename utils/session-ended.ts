/**
 * What the login page says to a user whose session ended, by the server's reason (the 401's
 * `data.reason`, carried in the `ended` query: see sessionEndedRoute in composables/useAuth.ts).
 */
const MESSAGES: Record<string, string> = {
  'revoked': 'You were signed out because this session was ended from another device.',
  'logged-out-everywhere': 'You were signed out because you logged out everywhere.',
  'password-changed': 'You were signed out because your password was changed.',
  'password-reset': 'You were signed out because your password was reset.',
  'account-deleted': 'You were signed out because your account was deleted.',
  'expired': 'You were signed out because your session expired.',
}

const UNKNOWN = 'Your session has ended. Please log in again.'

/** The notice for `?ended=…`, or undefined when there is no such query. */
export function sessionEndedMessage(ended: unknown): string | undefined {
  if (typeof ended !== 'string' || !ended) return undefined
  return Object.hasOwn(MESSAGES, ended) ? MESSAGES[ended] : UNKNOWN
}
