import type { H3Event } from 'h3'

/**
 * Every authentication event goes through here (contract: "Security activity"): one JSON line
 * on stdout per event. Never a password, a token or a token's hash: a session is named by its
 * public id.
 */

export type AuthEventType
  = | 'signup'
    | 'login'
    | 'login-failed'
    | 'login-throttled'
    | 'logout'
    | 'logout-all'
    | 'session-revoked'
    | 'reauthenticated'
    | 'reauthentication-failed'
    | 'password-changed'
    | 'password-reset-requested'
    | 'password-reset'
    | 'account-deleted'

export interface AuthEventDetails {
  userId?: string
  /** The row id (token hash) of the session the event was made in; logged as its public id. */
  sessionId?: string
}

export async function emitAuthEvent(event: H3Event, type: AuthEventType, details: AuthEventDetails = {}): Promise<void> {
  const line = {
    event: type,
    userId: details.userId,
    sessionId: details.sessionId === undefined ? undefined : publicSessionId(details.sessionId),
    ipAddress: clientAddress(event),
    userAgent: getRequestHeader(event, 'user-agent')?.slice(0, 256),
    at: new Date().toISOString(),
  }
  process.stdout.write(`${JSON.stringify(line)}\n`)
}
