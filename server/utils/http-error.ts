import { createError } from 'h3'

/**
 * createError for the answers the app gives on purpose (a 4xx, or a 503 for a feature the server
 * has not been set up for), without a stack trace: they are control flow, server/error.ts never
 * logs them, and capturing the stack was about a third of what a 401 cost beyond a bare route
 * (docs/benchmarks.md). Errors that are failures (a store fault, a bug) are thrown as they are
 * and keep theirs.
 */
export function httpError(input: Parameters<typeof createError>[0]): ReturnType<typeof createError> {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return createError(input)
  }
  finally {
    Error.stackTraceLimit = limit
  }
}
