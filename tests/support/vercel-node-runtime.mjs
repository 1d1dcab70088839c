// Serves a Vercel Build Output function the way Vercel's Node.js runtime calls it: the module
// named by .vc-config.json's `handler`, its default export invoked as (IncomingMessage,
// ServerResponse) for every request, with the function directory as the working directory.
// As on Vercel, each invocation has a request context under the global symbol that
// @vercel/functions' waitUntil reads, and lasts until its response has ended and every promise
// handed to waitUntil has settled; then it logs
// `[vercel-runtime] METHOD PATH ended after N waitUntil promise(s)`, for tests to see what the
// function would have been kept alive for.
// Usage: node vercel-node-runtime.mjs <path/to/fn.func>
import { AsyncLocalStorage } from 'node:async_hooks'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const functionDir = resolve(process.argv[2])
const config = JSON.parse(readFileSync(join(functionDir, '.vc-config.json'), 'utf8'))
if (config.launcherType !== 'Nodejs') throw new Error(`not a Node.js function: ${config.launcherType}`)
const { default: handler } = await import(pathToFileURL(join(functionDir, config.handler)).href)

const requestContext = new AsyncLocalStorage()
globalThis[Symbol.for('@vercel/request-context')] = { get: () => requestContext.getStore() }

const server = createServer((req, res) => {
  const pending = []
  const { method, url } = req
  res.once('finish', async () => {
    // A promise may hand over further ones while it runs: wait until none are left.
    for (let settled = 0; settled < pending.length; settled = pending.length) await Promise.allSettled(pending.slice(settled))
    console.log(`[vercel-runtime] ${method} ${url} ended after ${pending.length} waitUntil promise(s)`)
  })
  const context = { waitUntil: promise => pending.push(promise), headers: req.headers, url }
  requestContext.run(context, () => handler(req, res))
})
server.listen(0, '127.0.0.1', () => {
  console.log(`Listening on http://127.0.0.1:${server.address().port}`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
