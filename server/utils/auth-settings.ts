/**
 * The numeric auth settings (runtime config, set by NUXT_AUTH_* variables), checked once, at
 * start (server/plugins/auth-settings.ts). Unchecked, a value that is not a number would show
 * only later, as a 500 on every sign-up (an expiry of NaN) or log-in (a throttle of NaN points).
 */
export interface AuthSettings {
  sessionIdleDays: number
  sessionAbsoluteDays: number
  reauthMinutes: number
  loginMaxFailures: number
  loginWindowSeconds: number
}

const RULES: Record<keyof AuthSettings, { variable: string, unit: string, whole: boolean }> = {
  sessionIdleDays: { variable: 'NUXT_AUTH_SESSION_IDLE_DAYS', unit: 'days', whole: false },
  sessionAbsoluteDays: { variable: 'NUXT_AUTH_SESSION_ABSOLUTE_DAYS', unit: 'days', whole: false },
  reauthMinutes: { variable: 'NUXT_AUTH_REAUTH_MINUTES', unit: 'minutes', whole: false },
  loginMaxFailures: { variable: 'NUXT_AUTH_LOGIN_MAX_FAILURES', unit: 'failed attempts', whole: true },
  loginWindowSeconds: { variable: 'NUXT_AUTH_LOGIN_WINDOW_SECONDS', unit: 'seconds', whole: true },
}

/** The settings as numbers, or an error that names each variable whose value is not a positive number. */
export function parseAuthSettings(config: Record<keyof AuthSettings, unknown>): AuthSettings {
  const settings = {} as AuthSettings
  const problems: string[] = []
  for (const [key, { variable, unit, whole }] of Object.entries(RULES) as Array<[keyof AuthSettings, typeof RULES[keyof AuthSettings]]>) {
    const raw = config[key]
    // Nuxt hands a numeric variable over as a number, anything else as the string it was.
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN
    if (Number.isFinite(value) && value > 0 && (!whole || Number.isInteger(value))) {
      settings[key] = value
    }
    else {
      problems.push(`${variable} must be ${whole ? 'a whole number' : 'a number'} of ${unit} above 0, not ${JSON.stringify(String(raw ?? '')).slice(0, 40)}`)
    }
  }
  if (problems.length) throw new Error(`Invalid configuration: ${problems.join('; ')}`)
  return settings
}

let settings: AuthSettings | undefined

/** Read from the config as it was at start (see server/middleware/1.api-guard.ts for why not per event). */
export function authSettings(): AuthSettings {
  return settings ??= parseAuthSettings(useRuntimeConfig().auth)
}
