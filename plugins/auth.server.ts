export default defineNuxtPlugin({
  name: 'auth:hydrate',
  // Route middleware and pages read this state, so it is set before anything else uses it.
  enforce: 'pre',
  setup() {
    hydrateAuthUser(useRequestEvent()?.context.user)
  },
})
