/**
 * Opens the database and applies migrations at start, so a broken store shows in the log at
 * once. A failure here is not fatal: requests retry the open and answer 500 until it works.
 */
export default defineNitroPlugin((nitroApp) => {
  useStore().catch((error: unknown) => {
    console.error('[db] could not open the database at start; requests will retry:', error)
  })
  nitroApp.hooks.hook('close', closeStore)
})
