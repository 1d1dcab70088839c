import { describe, expect, it } from 'vitest'
import { httpError } from '../../server/utils/http-error'

describe('httpError', () => {
  it('is the H3Error createError makes, with its status, message and data', () => {
    const error = httpError({ statusCode: 401, statusMessage: 'Unauthorized', message: 'Not signed in', data: { reason: 'revoked' } })
    expect(error).toBeInstanceOf(Error)
    expect(error.toJSON()).toEqual({ statusCode: 401, statusMessage: 'Unauthorized', message: 'Not signed in', data: { reason: 'revoked' } })
  })

  it('captures no stack frames, and leaves the stack depth of every other error as it was', () => {
    const before = Error.stackTraceLimit
    const error = httpError({ statusCode: 403, statusMessage: 'Forbidden', message: 'Cross-origin request refused' })
    expect(error.stack).toBe('Error: Cross-origin request refused')
    expect(Error.stackTraceLimit).toBe(before)
    expect(new Error('a failure').stack).toMatch(/\n\s+at /)
  })
})
