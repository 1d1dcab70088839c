/**
 * Keeps every tab of this browser in step with the session:
 * - a sign-out in another tab (BroadcastChannel 'auth', see utils/auth-channel.ts) signs this
 *   tab out at once and takes it to /login;
 * - when the tab comes back into view or regains focus, it asks the server whether its session
 *   still exists (it may have been ended from another device); a 401 takes it to /login with a
 *   notice saying why. API calls made through useAuth().api do the same on any 401.
 */
export default defineNuxtPlugin((nuxtApp) => {
  const { user, clear, checkSession } = useAuth()

  authChannel()?.addEventListener('message', (event: MessageEvent) => {
    if (!isAuthChannelMessage(event.data) || !user.value) return
    clear()
    void nuxtApp.runWithContext(() => navigateTo(event.data.ended ? sessionEndedRoute(event.data.reason) : '/login'))
  })

  // focus and visibilitychange usually fire together: one check at a time, at most every 2 s.
  let checking: Promise<void> | undefined
  let lastCheck = 0
  function recheck() {
    if (!user.value || checking || Date.now() - lastCheck < 2_000) return
    lastCheck = Date.now()
    checking = checkSession().finally(() => {
      checking = undefined
    })
  }
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') recheck()
  })
  window.addEventListener('focus', recheck)
})
