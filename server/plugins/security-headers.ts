import { hash } from 'node:crypto'
import type { H3Event } from 'h3'

/**
 * Security headers on every response the app makes.
 *
 * - Everything: `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`,
 *   `X-Frame-Options: DENY`, and a Content-Security-Policy that allows nothing
 *   (`default-src 'none'; frame-ancestors 'none'`): JSON, errors and static files are never
 *   documents that need to run or load anything.
 * - API responses (errors included): `Cache-Control: no-store`.
 * - Rendered pages replace that CSP with one the app satisfies: scripts, styles and fetches
 *   from the app's own origin, plus the few inline scripts Nuxt itself writes, each allowed by
 *   its SHA-256. Pages are `no-store` too: they carry the signed-in user's payload and may
 *   re-send the session cookie.
 *
 * Set in the `request` hook, before any handler runs, so that whatever answers later (a
 * route, a middleware's 413, a thrown error rendered by server/error.ts) keeps them; Nuxt's
 * error page is rendered by an internal request whose headers Nuxt copies onto the response.
 * Hashes rather than nonces: the allowed scripts are exactly the ones Nuxt wrote, and a page
 * stays the same bytes for the same state. (Should SSR streaming ever be turned on, the scripts
 * written after the shell would need `render:html:close` too.)
 */

const BASE_HEADERS = {
  'x-content-type-options': 'nosniff',
  // Same-origin requests keep their Referer (and Origin, which the CSRF check reads); other
  // sites learn nothing, not even the origin.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'content-security-policy': import.meta.dev ? 'frame-ancestors \'none\'' : 'default-src \'none\'; frame-ancestors \'none\'; base-uri \'none\'; form-action \'none\'',
}

/**
 * Script types a browser executes (and so checks against script-src): classic and module
 * scripts, import maps and speculation rules. JSON data blocks such as `__NUXT_DATA__` are
 * never executed and need no allowance.
 */
const EXECUTABLE_SCRIPT_TYPES = new Set(['', 'module', 'importmap', 'speculationrules', 'text/javascript', 'application/javascript'])

export default defineNitroPlugin((nitroApp) => {
  nitroApp.hooks.hook('request', (event) => {
    setResponseHeaders(event, BASE_HEADERS)
    if (event.path.startsWith('/api/')) setResponseHeader(event, 'cache-control', 'no-store')
  })

  nitroApp.hooks.hook('render:html', (html, { event }) => {
    // Only the parts Nuxt writes (head tags, payload and config scripts at the end of body)
    // are looked at; the app's own rendered markup (html.body) never gets an allowance, so
    // nothing that ends up in it could run.
    const nuxtParts = [...html.head, ...html.bodyPrepend, ...html.bodyAppend].join('')
    setPageHeaders(event, inlineHashes(nuxtParts))
  })
})

function setPageHeaders(event: H3Event, hashes: { scripts: string[], styles: string[] }) {
  setResponseHeader(event, 'cache-control', 'no-store')
  // `nuxt dev` injects styles and its client at run time: only framing is locked there.
  if (import.meta.dev) return
  const csp = [
    `default-src 'self'`,
    `script-src ${['\'self\'', ...hashes.scripts].join(' ')}`,
    `style-src ${['\'self\'', ...hashes.styles].join(' ')}`,
    `img-src 'self' data:`,
    `font-src 'self'`,
    `connect-src 'self'`,
    `object-src 'none'`,
    `base-uri 'none'`,
    `form-action 'self'`,
    `frame-ancestors 'none'`,
  ]
  setResponseHeader(event, 'content-security-policy', csp.join('; '))
}

/** CSP source expressions for the inline `<script>` and `<style>` elements in `markup`. */
function inlineHashes(markup: string): { scripts: string[], styles: string[] } {
  const scripts = new Set<string>()
  const styles = new Set<string>()
  for (const match of markup.matchAll(/<(script|style)\b([^>]*)>([\s\S]*?)<\/\1\s*>/gi)) {
    const [, tag, attributes = '', content = ''] = match
    if (tag!.toLowerCase() === 'style') {
      styles.add(sha256Source(content))
      continue
    }
    if (/\ssrc\s*=/i.test(` ${attributes}`)) continue
    const type = /\stype\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(` ${attributes}`)
    const scriptType = (type?.[1] ?? type?.[2] ?? type?.[3] ?? '').trim().toLowerCase()
    if (EXECUTABLE_SCRIPT_TYPES.has(scriptType)) scripts.add(sha256Source(content))
  }
  return { scripts: [...scripts], styles: [...styles] }
}

/**
 * Nuxt writes the same few inline scripts and styles on every page, so each one's hash is kept;
 * the cache is emptied if it ever holds more than a few hundred (content that varies).
 */
const sourceByContent = new Map<string, string>()

function sha256Source(content: string): string {
  let source = sourceByContent.get(content)
  if (source === undefined) {
    if (sourceByContent.size >= 256) sourceByContent.clear()
    source = `'sha256-${hash('sha256', content, 'base64')}'`
    sourceByContent.set(content, source)
  }
  return source
}
