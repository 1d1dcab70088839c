const SIGNED_IN_ONLY = new Set(['/', '/account'])
const SIGNED_OUT_ONLY = new Set(['/login', '/signup', '/forgot-password', '/reset-password'])

export default defineNuxtRouteMiddleware((to) => {
  const { user } = useAuth()
  // '/login/' resolves to the same page as '/login'.
  const path = to.path.replace(/\/+$/, '') || '/'

  if (!user.value && SIGNED_IN_ONLY.has(path)) {
    // A page load whose cookie named a session that was ended: the login page says why.
    const reason = import.meta.server ? useRequestEvent()?.context.sessionEndReason : undefined
    return navigateTo(reason ? sessionEndedRoute(reason) : '/login')
  }
  if (user.value && SIGNED_OUT_ONLY.has(path)) return navigateTo('/')
})
