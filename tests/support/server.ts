import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { BACKEND, createBackend, type TestBackend } from './backend'

export interface TestServer {
  url: string
  pid: number
  /** The SQLite file this server uses. */
  dbPath: string
  /** Everything the server wrote to stdout and stderr so far. */
  logs: () => string
  /** Resolves with the logs once they contain `text` (the server writes them a moment after it answers). */
  waitForLog: (text: string, timeoutMs?: number) => Promise<string>
  stop: () => Promise<void>
}

export interface ServerCommand {
  /** Node arguments: the script and its own arguments. */
  args: string[]
  cwd?: string
}

/** The node-server build: `node .output/server/index.mjs`. */
export const NODE_SERVER: ServerCommand = { args: [resolve('.output/server/index.mjs')] }

/**
 * Starts a production build on 127.0.0.1 and a free port, on a fresh SQLite file in a temp
 * directory unless DATABASE_URL is given. It must print `Listening on http://127.0.0.1:PORT`.
 * It inherits vitest's TEST=true, which keeps Nitro's scheduled tasks from firing mid-test.
 */
export async function startServer(env: Record<string, string> = {}, command = NODE_SERVER): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'auth-e2e-'))
  const dbPath = env.DATABASE_URL ?? join(dir, 'app.db')
  const child = spawn(process.execPath, command.args, {
    cwd: command.cwd,
    env: { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0', DATABASE_URL: dbPath, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const collect = (chunk: Buffer) => {
    output += chunk.toString()
  }
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)

  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 20 s:\n${output}`)), 20_000)
    child.stdout!.on('data', () => {
      const match = /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolveUrl(match[1]!)
      }
    })
    // 'close', not 'exit': by then the output has been read to its end.
    child.once('close', (code) => {
      clearTimeout(timer)
      rmSync(dir, { recursive: true, force: true })
      reject(new Error(`server exited with ${code} before listening:\n${output}`))
    })
  })

  return {
    url,
    pid: child.pid!,
    dbPath,
    logs: () => output,
    waitForLog: (text, timeoutMs = 5_000) => new Promise((found, reject) => {
      const check = () => {
        if (!output.includes(text)) return
        clearTimeout(timer)
        child.stdout!.off('data', check)
        child.stderr!.off('data', check)
        found(output)
      }
      const timer = setTimeout(() => reject(new Error(`the server did not log ${text} in ${timeoutMs} ms:\n${output}`)), timeoutMs)
      child.stdout!.on('data', check)
      child.stderr!.on('data', check)
      check()
    }),
    stop: async () => {
      await stopProcess(child)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    child.once('exit', () => {
      clearTimeout(timer)
      done()
    })
    child.kill('SIGTERM')
  })
}

export interface BackendServer {
  /** Why this file's tests are skipped (no PostgreSQL locally), or undefined. */
  skip: string | undefined
  /** This run's backend (TEST_BACKEND) and a production server on it, once beforeAll has run. */
  backend: TestBackend
  server: TestServer
}

/**
 * The frame of most API test files: a database on this run's backend, and one production
 * server on it, started before the file's tests and stopped (the database dropped) after them.
 */
export async function serveBackend(env: Record<string, string> = {}): Promise<BackendServer> {
  const created = await createBackend()
  const frame = { skip: 'skip' in created ? created.skip : undefined } as BackendServer
  beforeAll(async () => {
    if ('skip' in created) return
    frame.backend = created
    frame.server = await startServer({ DATABASE_URL: created.databaseUrl, ...env })
  })
  afterAll(async () => {
    await frame.server?.stop()
    await frame.backend?.close()
  })
  return frame
}

/** A describe title that says which backend it ran on, or why it was skipped. */
export const onBackend = (title: string, skip: string | undefined) => `${title} on ${BACKEND}${skip ? ` (skipped: ${skip})` : ''}`
