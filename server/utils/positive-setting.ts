/** What a numeric setting must be: above 0 and at most `max` (a whole number if `whole`), in `unit`. */
export interface PositiveSettingRule {
  /** The environment variable it is set by, as the message names it. */
  variable: string
  unit: string
  whole: boolean
  max: number
}

/** How a number is written in a setting: plain decimal digits (not `0x10`, `1e2` or `0b11`, which Number() would take). */
const DECIMAL = /^(?:\d+(?:\.\d+)?|\.\d+)$/

/**
 * `raw` as the number `rule` allows, or the message that says why it is not: shared by the
 * NUXT_AUTH_* settings (auth-settings.ts) and the PostgreSQL pool settings
 * (server/database/config.ts). Nuxt hands a numeric variable over as a number, anything else as
 * the string it was.
 */
export function parsePositiveSetting(raw: unknown, { variable, unit, whole, max }: PositiveSettingRule): { value: number } | { problem: string } {
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && DECIMAL.test(raw.trim()) ? Number(raw) : Number.NaN
  if (value > 0 && value <= max && (!whole || Number.isInteger(value))) return { value }
  const given = String(raw ?? '')
  return { problem: `${variable} must be ${whole ? 'a whole number' : 'a number'} of ${unit} above 0 and at most ${max}, not ${JSON.stringify(given.length > 40 ? `${given.slice(0, 40)}…` : given)}` }
}
