import { writeSync } from 'node:fs'
import { resolveDatabase } from '../database/config'

/**
 * A server whose settings it cannot use does not start: numeric NUXT_AUTH_* settings that are
 * not all positive numbers (auth-settings.ts), a DATABASE_URL of another scheme or PostgreSQL
 * pool settings out of range (database/config.ts). It says which and exits, rather than
 * answering 500 to every log-in. Nitro runs plugins in the order of their file names: this one
 * comes before database.ts, which opens the database.
 */
export default defineNitroPlugin(() => {
  const problems: string[] = []
  for (const check of [authSettings, () => resolveDatabase(process.env.DATABASE_URL)]) {
    try {
      check()
    }
    catch (error) {
      problems.push(error instanceof Error ? error.message : String(error))
    }
  }
  if (!problems.length) return
  // `nuxt dev` shows the error on its page instead.
  if (import.meta.dev) throw new Error(problems.join('\n'))
  // Written synchronously, so that the lines are out before the exit.
  writeSync(2, problems.map(problem => `[config] ${problem}\n`).join(''))
  process.exit(1)
})
