import type { AuthSession, AuthUser } from './utils/auth'

declare module 'h3' {
  interface H3EventContext {
    /** Set by server/middleware/session.ts; null when the request carries no valid session. */
    user: AuthUser | null
    session: AuthSession | null
    /** Made on first use by requestId() (server/utils/request-id.ts). */
    requestId?: string
  }
}

export {}
