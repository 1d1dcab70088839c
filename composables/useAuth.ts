export type AuthUser = { id: string, email: string }

export type AuthField = 'email' | 'password' | 'currentPassword' | 'newPassword'
export type AuthFieldErrors = Partial<Record<AuthField, string>>

/**
 * A failed auth request, with what the form needs to show: the server's message, per-field
 * errors, and the server's `data.reason` (e.g. `invalid-password`, `reauthentication-required`).
 */
export class AuthRequestError extends Error {
  /** The server's `data.reason`, e.g. "invalid-token". */
  reason: string | undefined

  constructor(
    message: string,
    readonly fields: AuthFieldErrors = {},
    readonly status?: number,
    options?: ErrorOptions & { reason?: string },
  ) {
    super(message, options)
    this.name = 'AuthRequestError'
    this.reason = options?.reason
  }
}

const AUTH_FIELDS: readonly AuthField[] = ['email', 'password', 'currentPassword', 'newPassword']

function useAuthUserState() {
  return useState<AuthUser | null>('auth:user', () => null)
}

/** Copies only id and email, so nothing else a caller passes ends up in the SSR payload. */
function toAuthUser(value: unknown): AuthUser | null {
  if (typeof value !== 'object' || value === null) return null
  const { id, email } = value as Record<string, unknown>
  return typeof id === 'string' && typeof email === 'string' ? { id, email } : null
}

/** Sets the user from the server's request context; only plugins/auth.server.ts calls this. */
export function hydrateAuthUser(contextUser: unknown) {
  useAuthUserState().value = toAuthUser(contextUser)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function fallbackMessage(status: number | undefined): string {
  if (status === undefined) return 'Could not reach the server. Check your connection and try again.'
  if (status === 429) return 'Too many attempts. Please wait a while and try again.'
  if (status === 503) return 'This is not available on this server right now.'
  return 'Something went wrong. Please try again.'
}

function statusOf(error: unknown): number | undefined {
  const response = isRecord(error) && isRecord(error.response) ? error.response : undefined
  return typeof response?.status === 'number' ? response.status : undefined
}

/** The `data.reason` of an API error body, if it has one. */
function reasonIn(body: unknown): string | undefined {
  const reason = isRecord(body) && isRecord(body.data) ? body.data.reason : undefined
  return typeof reason === 'string' ? reason : undefined
}

/** True for the 403 that asks for the password again (POST /api/auth/reauthenticate). */
export function isReauthenticationRequired(error: unknown): boolean {
  return error instanceof AuthRequestError && error.status === 403 && error.reason === 'reauthentication-required'
}

function toAuthRequestError(error: unknown, fallback?: string): AuthRequestError {
  const status = statusOf(error)
  const body = isRecord(error) && isRecord(error.data) ? error.data : undefined

  // A 5xx message is generic at best; a 4xx one is written for the user.
  const serverMessage = status !== undefined && status < 500 && typeof body?.message === 'string' ? body.message : ''
  const rawFields = isRecord(body?.data) && isRecord(body.data.fields) ? body.data.fields : {}

  const fields: AuthFieldErrors = {}
  for (const field of AUTH_FIELDS) {
    const fieldMessage = rawFields[field]
    if (typeof fieldMessage === 'string' && fieldMessage) fields[field] = fieldMessage
  }
  return new AuthRequestError(serverMessage || fallback || fallbackMessage(status), fields, status, { cause: error, reason: reasonIn(body) })
}

/**
 * Where a tab goes when its session ended elsewhere; the login page says why (`ended` is the
 * server's reason, or 1 when it gave none).
 */
export function sessionEndedRoute(reason?: string) {
  return { path: '/login', query: { ended: reason ?? '1' } }
}

export function useAuth() {
  const state = useAuthUserState()
  const nuxtApp = useNuxtApp()

  async function submitCredentials(path: string, email: string, password: string) {
    try {
      const { user } = await $fetch<{ user: AuthUser }>(path, { method: 'POST', body: { email, password } })
      state.value = toAuthUser(user)
    }
    catch (error) {
      throw toAuthRequestError(error)
    }
  }

  function clear() {
    state.value = null
  }

  /**
   * A request of this tab got a 401: the server no longer knows the session it was sent with.
   * That may only be because another tab of this browser replaced the cookie meanwhile
   * (re-authentication and password change rotate it), so the browser's current cookie is asked
   * about once more; if that one is signed in too, nothing has ended. Otherwise the session ended
   * (logged out elsewhere, ended from another device, expired): drop the user and go to the
   * login page, which says why.
   */
  async function sessionEnded(reason?: string) {
    if (!state.value) return
    const current = await $fetch.raw('/api/auth/me', { credentials: 'include', ignoreResponseError: true }).catch(() => undefined)
    if (current?.status !== 401) return
    reason = reasonIn(current._data) ?? reason
    if (!state.value) return
    signedOut(true, reason)
    await nuxtApp.runWithContext(() => navigateTo(sessionEndedRoute(reason)))
  }

  /**
   * $fetch for the signed-in API. A 401 means the session ended behind this tab's back, so it
   * signs the tab out (see sessionEnded) before the caller sees the error.
   */
  const api = $fetch.create({
    credentials: 'include',
    async onResponseError({ response }) {
      if (response.status === 401) await sessionEnded(reasonIn(response._data))
    },
  })

  /** Asks the server whether this tab's session is still alive; signs the tab out if not. */
  async function checkSession(): Promise<void> {
    if (!state.value) return
    // Network failures and 5xx prove nothing about the session: stay signed in.
    await api('/api/auth/me').catch(() => {})
  }

  /** Signs this tab out and tells the browser's other tabs (plugins/auth-sync.client.ts). */
  function signedOut(ended = false, reason?: string) {
    clear()
    broadcastAuthEvent({ type: 'signed-out', ended, ...(reason ? { reason } : {}) })
  }

  /**
   * Ends the session on the server. Any 200 (true or false) or a 401 means the browser no longer
   * has a usable session, so the user is signed out. Anything else (a 500 keeps the cookie, a
   * 403, a network failure) leaves the user signed in and throws so the UI can offer a retry.
   */
  async function logout(): Promise<'signed-out'> {
    let status: number
    try {
      const response = await $fetch.raw('/api/auth/logout', {
        method: 'POST',
        credentials: 'include',
        ignoreResponseError: true,
      })
      status = response.status
    }
    catch (error) {
      throw new AuthRequestError('Could not reach the server.', {}, undefined, { cause: error })
    }
    if (status === 200 || status === 401) {
      signedOut()
      return 'signed-out'
    }
    throw new AuthRequestError('Logout failed.', {}, status)
  }

  /**
   * Ends every session of the user, this one included; the other tabs of this browser follow
   * at once, other devices at their next request. A 401 means there was nothing left to end.
   */
  async function logoutEverywhere(): Promise<number> {
    try {
      const { ended } = await api<{ ended: number }>('/api/auth/logout-all', { method: 'POST' })
      signedOut()
      return ended
    }
    catch (error) {
      throw toAuthRequestError(error, 'Could not log out everywhere.')
    }
  }

  /** Ends one of the user's sessions by its public id (another one needs recent authentication). */
  async function endSession(id: string): Promise<void> {
    try {
      await api(`/api/auth/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' })
    }
    catch (error) {
      throw toAuthRequestError(error)
    }
  }

  /** Password reset by email, step 1: the server answers the same whether or not the email has an account. */
  async function requestPasswordReset(email: string): Promise<void> {
    try {
      await $fetch('/api/auth/password-reset', { method: 'POST', body: { email } })
    }
    catch (error) {
      throw toAuthRequestError(error)
    }
  }

  /**
   * Confirms the password: the server replaces this session by a new, recently authenticated
   * one. The new cookie is the browser's, so this browser's other tabs carry on with it.
   */
  async function reauthenticate(password: string): Promise<void> {
    try {
      await api('/api/auth/reauthenticate', { method: 'POST', body: { password } })
    }
    catch (error) {
      throw toAuthRequestError(error)
    }
  }

  /**
   * Step 2, with the token from the mailed link: sets the new password and signs this tab in
   * (every other session of the user has ended). An expired or used link throws with reason
   * "invalid-token".
   */
  async function resetPassword(token: string, newPassword: string): Promise<void> {
    try {
      const { user } = await $fetch<{ user: AuthUser }>('/api/auth/password-reset/confirm', { method: 'POST', body: { token, newPassword } })
      state.value = toAuthUser(user)
    }
    catch (error) {
      throw toAuthRequestError(error)
    }
  }

  /** Changes the password; every other session ends, this one is replaced. Returns how many ended. */
  async function changePassword(currentPassword: string, newPassword: string): Promise<number> {
    try {
      const { endedSessions } = await api<{ endedSessions: number }>('/api/auth/password', { method: 'POST', body: { currentPassword, newPassword } })
      return endedSessions
    }
    catch (error) {
      throw toAuthRequestError(error)
    }
  }

  /** Deletes the account and signs every tab of this browser out, saying why. */
  async function deleteAccount(): Promise<void> {
    try {
      await api('/api/auth/account', { method: 'DELETE' })
    }
    catch (error) {
      throw toAuthRequestError(error, 'Could not delete the account.')
    }
    signedOut(true, 'account-deleted')
  }

  return {
    user: readonly(state),
    signup: (email: string, password: string) => submitCredentials('/api/auth/signup', email, password),
    login: (email: string, password: string) => submitCredentials('/api/auth/login', email, password),
    logout,
    logoutEverywhere,
    endSession,
    reauthenticate,
    changePassword,
    deleteAccount,
    clear,
    api,
    checkSession,
    sessionEnded,
    requestPasswordReset,
    resetPassword,
  }
}
