/**
 * On Vercel a function may be frozen as soon as its response is sent, so work handed to
 * `event.waitUntil` (a mail being delivered) must keep the invocation alive. Nitro's vercel
 * preset does not connect the two: Vercel's Node.js runtime exposes the current invocation's
 * context, with its `waitUntil`, under this global symbol (what `@vercel/functions`' waitUntil
 * reads), and Nitro's event.waitUntil forwards to `event.context.waitUntil` when there is one.
 * Elsewhere the symbol is absent and this does nothing.
 */
const VERCEL_REQUEST_CONTEXT = Symbol.for('@vercel/request-context')

interface VercelRequestContext {
  get?: () => { waitUntil?: (promise: Promise<unknown>) => void } | undefined
}

export default defineNitroPlugin((nitroApp) => {
  nitroApp.hooks.hook('request', (event) => {
    const context = (globalThis as { [VERCEL_REQUEST_CONTEXT]?: VercelRequestContext })[VERCEL_REQUEST_CONTEXT]
    const waitUntil = context?.get?.()?.waitUntil
    if (waitUntil && !event.context.waitUntil) event.context.waitUntil = waitUntil
  })
})
