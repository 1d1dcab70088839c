/**
 * The tabs of one browser tell each other about sign-outs over a BroadcastChannel named 'auth'.
 * One channel object per tab, shared by sender and listener: a channel never receives its own
 * messages, so a tab does not react to what it said itself. A re-authentication or password
 * change in one tab sends nothing: it replaces the cookie the tabs share, and they carry on.
 */

export interface AuthChannelMessage {
  type: 'signed-out'
  /** True when the session ended elsewhere (a 401), false for a logout in that tab. */
  ended: boolean
  /** Why it ended, as the server said (the 401's data.reason), for the login page's notice. */
  reason?: string
}

let channel: BroadcastChannel | null | undefined

/** This tab's channel; null on the server and in browsers without BroadcastChannel. */
export function authChannel(): BroadcastChannel | null {
  if (channel === undefined) channel = import.meta.client && typeof BroadcastChannel === 'function' ? new BroadcastChannel('auth') : null
  return channel
}

export function broadcastAuthEvent(message: AuthChannelMessage): void {
  try {
    authChannel()?.postMessage(message)
  }
  catch {
    // Another tab not hearing of it only delays its sign-out to its next request or focus.
  }
}

export function isAuthChannelMessage(value: unknown): value is AuthChannelMessage {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'signed-out'
}
