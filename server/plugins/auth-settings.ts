import { writeSync } from 'node:fs'

/**
 * A server whose numeric NUXT_AUTH_* settings are not all positive numbers does not start
 * (auth-settings.ts): it says which and exits, rather than answering 500 to every log-in.
 */
export default defineNitroPlugin(() => {
  try {
    authSettings()
  }
  catch (error) {
    // `nuxt dev` shows the error on its page instead.
    if (import.meta.dev) throw error
    // Written synchronously, so that the line is out before the exit.
    writeSync(2, `[config] ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  }
})
