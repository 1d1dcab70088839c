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
    console.error(`[config] ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  }
})
