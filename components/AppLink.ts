import { h, type FunctionalComponent } from 'vue'

/**
 * A link to one of this app's pages: a plain `<a href>`, marked `aria-current="page"` on the
 * page it names, that the client follows with the router instead of loading the page again.
 *
 * NuxtLink does this and more (external links, prefetching, active classes), but a NuxtLink is
 * two stateful components with some twenty props each, and Nuxt makes a new Vue app for every
 * server render, so all of that is set up again per page: the two links of the signed-in `/`
 * were 14% of its server time (docs/benchmarks.md). This one is a function of its `to`.
 */
const AppLink: FunctionalComponent<{ to: string }> = ({ to }, { slots }) => h('a', {
  'href': to,
  'aria-current': useRouter().currentRoute.value.path === to ? 'page' : undefined,
  'onClick': (event: MouseEvent) => followInApp(event, to),
}, slots.default?.())

AppLink.props = { to: { type: String, required: true } }

export default AppLink

function followInApp(event: MouseEvent, to: string) {
  // A new tab or window, a download, or a click something else already handled: the browser's.
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
  event.preventDefault()
  void navigateTo(to)
}
