export type AuthUser = { id: string, email: string }

export type AuthField = 'email' | 'password'
export type AuthFieldErrors = Partial<Record<AuthField, string>>

/** A failed auth request, with what the form needs to show: the server's message and per-field errors. */
export class AuthRequestError extends Error {
  constructor(
    message: string,
    readonly fields: AuthFieldErrors = {},
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'AuthRequestError'
  }
}

const AUTH_FIELDS: readonly AuthField[] = ['email', 'password']

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
  return 'Something went wrong. Please try again.'
}

function toAuthRequestError(error: unknown): AuthRequestError {
  const response = isRecord(error) && isRecord(error.response) ? error.response : undefined
  const status = typeof response?.status === 'number' ? response.status : undefined
  const body = isRecord(error) && isRecord(error.data) ? error.data : undefined

  // A 5xx message is generic at best; a 4xx one is written for the user.
  const serverMessage = status !== undefined && status < 500 && typeof body?.message === 'string' ? body.message : ''
  const rawFields = isRecord(body?.data) && isRecord(body.data.fields) ? body.data.fields : {}

  const fields: AuthFieldErrors = {}
  for (const field of AUTH_FIELDS) {
    const fieldMessage = rawFields[field]
    if (typeof fieldMessage === 'string' && fieldMessage) fields[field] = fieldMessage
  }
  return new AuthRequestError(serverMessage || fallbackMessage(status), fields, status, { cause: error })
}

export function useAuth() {
  const state = useAuthUserState()

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
      clear()
      return 'signed-out'
    }
    throw new AuthRequestError('Logout failed.', {}, status)
  }

  return {
    user: readonly(state),
    signup: (email: string, password: string) => submitCredentials('/api/auth/signup', email, password),
    login: (email: string, password: string) => submitCredentials('/api/auth/login', email, password),
    logout,
    clear,
  }
}
