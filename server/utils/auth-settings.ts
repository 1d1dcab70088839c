import { parsePositiveSetting, type PositiveSettingRule } from './positive-setting'

/**
 * The numeric auth settings (runtime config, set by NUXT_AUTH_* variables), checked once, at
 * start (server/plugins/config-check.ts). Unchecked, a value that is not a number would show
 * only later, as a 500 on every sign-up (an expiry of NaN) or log-in (a throttle of NaN points).
 */
export interface AuthSettings {
  sessionIdleDays: number
  sessionAbsoluteDays: number
  reauthMinutes: number
  loginMaxFailures: number
  loginWindowSeconds: number
}

/**
 * `max` keeps every time the settings make within what a Date can hold (a session lifetime of
 * 1e9 days would be an Invalid Date, and every session inactive): 100 years for the times.
 */
const RULES: Record<keyof AuthSettings, PositiveSettingRule> = {
  sessionIdleDays: { variable: 'NUXT_AUTH_SESSION_IDLE_DAYS', unit: 'days', whole: false, max: 36_500 },
  sessionAbsoluteDays: { variable: 'NUXT_AUTH_SESSION_ABSOLUTE_DAYS', unit: 'days', whole: false, max: 36_500 },
  reauthMinutes: { variable: 'NUXT_AUTH_REAUTH_MINUTES', unit: 'minutes', whole: false, max: 36_500 * 24 * 60 },
  loginMaxFailures: { variable: 'NUXT_AUTH_LOGIN_MAX_FAILURES', unit: 'failed attempts', whole: true, max: 1_000_000 },
  loginWindowSeconds: { variable: 'NUXT_AUTH_LOGIN_WINDOW_SECONDS', unit: 'seconds', whole: true, max: 36_500 * 24 * 60 * 60 },
}

/** The settings as numbers, or an error that names each variable whose value is not a number in its range. */
export function parseAuthSettings(config: Record<keyof AuthSettings, unknown>): AuthSettings {
  const settings = {} as AuthSettings
  const problems: string[] = []
  for (const [key, rule] of Object.entries(RULES) as Array<[keyof AuthSettings, PositiveSettingRule]>) {
    const parsed = parsePositiveSetting(config[key], rule)
    if ('value' in parsed) settings[key] = parsed.value
    else problems.push(parsed.problem)
  }
  if (problems.length) throw new Error(`Invalid configuration: ${problems.join('; ')}`)
  return settings
}

let settings: AuthSettings | undefined

/** Read from the config as it was at start (see server/middleware/1.api-guard.ts for why not per event). */
export function authSettings(): AuthSettings {
  return settings ??= parseAuthSettings(useRuntimeConfig().auth)
}
