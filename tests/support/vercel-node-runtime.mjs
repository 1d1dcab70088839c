// Serves a Vercel Build Output function the way Vercel's Node.js runtime calls it: the module
// named by .vc-config.json's `handler`, its default export invoked as (IncomingMessage,
// ServerResponse) for every request, with the function directory as the working directory.
// Usage: node vercel-node-runtime.mjs <path/to/fn.func>
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const functionDir = resolve(process.argv[2])
const config = JSON.parse(readFileSync(join(functionDir, '.vc-config.json'), 'utf8'))
if (config.launcherType !== 'Nodejs') throw new Error(`not a Node.js function: ${config.launcherType}`)
const { default: handler } = await import(pathToFileURL(join(functionDir, config.handler)).href)

const server = createServer((req, res) => handler(req, res))
server.listen(0, '127.0.0.1', () => {
  console.log(`Listening on http://127.0.0.1:${server.address().port}`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
