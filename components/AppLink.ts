import { h, type FunctionalComponent } from 'vue'

/**
 * A link to one of this app's pages: a plain `<a href>`, marked `aria-current="page"` on the
 * page it names, that the client follows with the router instead of loading the page again.
 * `to` is a path of this app (no origin, query or hash), served at `/`.
 *
 * NuxtLink does this and more (external links, resolved hrefs, active classes), but a NuxtLink
 * is two stateful components with some twenty props each, and Nuxt makes a new Vue app for every
 * server render, so all of it is set up again per page: removing the two links of the signed-in
 * `/` took about 110 µs off its render (docs/benchmarks.md, fifth session). This one is a
 * function of its `to`. Like NuxtLink, it loads the target page's code before the click, here
 * when the pointer or focus reaches the link.
 */
const AppLink: FunctionalComponent<{ to: string }> = ({ to }, { slots }) => h('a', {
  'href': to,
  'aria-current': useRouter().currentRoute.value.path === to ? 'page' : undefined,
  'onClick': (event: MouseEvent) => followInApp(event, to),
  'onPointerenter': () => preloadPage(to),
  'onFocus': () => preloadPage(to),
}, slots.default?.())

AppLink.props = { to: { type: String, required: true } }

export default AppLink

function followInApp(event: MouseEvent, to: string) {
  // A new tab or window, a download, or a click something else already handled: the browser's.
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
  if ((event.currentTarget as HTMLAnchorElement).target === '_blank') return
  event.preventDefault()
  // A navigation that fails (its code no longer on the server after a deploy, a guard that
  // throws) is the router's to report, and Nuxt reloads the page for a missing chunk.
  Promise.resolve(navigateTo(to)).catch(() => {})
}

function preloadPage(to: string) {
  preloadRouteComponents(to).catch(() => {})
}
