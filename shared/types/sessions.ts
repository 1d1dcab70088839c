/** One entry of `GET /api/auth/sessions` (see docs/api.md). */
export interface SessionSummary {
  /** The public id: neither the cookie token nor the row id, and no way back to either. */
  id: string
  /** ISO-8601. */
  createdAt: string
  /** ISO-8601. */
  expiresAt: string
  /** The User-Agent the session started with, at most 256 characters. */
  userAgent: string | null
  /** True for the session of the request that asked. */
  current: boolean
}
