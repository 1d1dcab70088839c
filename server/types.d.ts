import type { AuthSession, AuthUser } from './utils/auth'
import type { SessionEndReason } from './utils/sessions'

declare module 'h3' {
  interface H3EventContext {
    /** Set by server/middleware/2.session.ts; null when the request carries no valid session. */
    user: AuthUser | null
    session: AuthSession | null
    /** Made on first use by requestId() (server/utils/request-id.ts). */
    requestId?: string
    /** Why the session the cookie named ended, when it did and that is known (the 401's data.reason). */
    sessionEndReason?: SessionEndReason
  }
}

export {}
