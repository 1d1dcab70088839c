/**
 * The events stored per user and listed by GET /api/auth/activity: every auth event but
 * `logout` and `account-deleted`, which are only logged (server/utils/auth-events.ts).
 */
export type ActivityType
  = | 'signup'
    | 'login'
    | 'login-failed'
    | 'login-throttled'
    | 'logout-all'
    | 'session-revoked'
    | 'reauthenticated'
    | 'reauthentication-failed'
    | 'password-changed'
    | 'password-reset-requested'
    | 'password-reset'

/** One entry of GET /api/auth/activity (see docs/api.md). */
export interface ActivityEntry {
  type: ActivityType
  /** When it happened, ISO-8601. */
  at: string
  /** The request's User-Agent, at most 256 characters. */
  userAgent: string | null
  ipAddress: string | null
  /** The event was made in the session of the request that asked. */
  current: boolean
}
