/** One entry of GET /api/auth/activity: a security event of the caller's account. */
export interface ActivityEntry {
  /** The event's type: 'login', 'login-failed', 'password-changed', … (see server/utils/auth-events.ts). */
  type: string
  /** When it happened, ISO-8601. */
  at: string
  userAgent: string | null
  ipAddress: string | null
  /** The event was made in the caller's current session. */
  current: boolean
}
