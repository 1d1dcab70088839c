import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveDatabase } from '../../server/database/config'

describe('resolveDatabase', () => {
  it('is the embedded SQLite file with no DATABASE_URL, and another SQLite file for a path or file: URL', () => {
    expect(resolveDatabase(undefined, {})).toEqual({ dialect: 'sqlite', path: resolve('data/app.db') })
    expect(resolveDatabase('  ', {})).toEqual({ dialect: 'sqlite', path: resolve('data/app.db') })
    expect(resolveDatabase('file:///tmp/a.db', {})).toEqual({ dialect: 'sqlite', path: '/tmp/a.db' })
    expect(resolveDatabase('file:rel/b.db', {})).toEqual({ dialect: 'sqlite', path: resolve('rel/b.db') })
  })

  it('is PostgreSQL for postgres:// and postgresql://, with the pool settings or their defaults', () => {
    expect(resolveDatabase('postgres://h/db', {})).toEqual({ dialect: 'postgres', url: 'postgres://h/db', poolMax: 10, connectTimeoutSeconds: 2 })
    expect(resolveDatabase('POSTGRESQL://h/db', { DATABASE_POOL_MAX: ' 3 ', DATABASE_CONNECT_TIMEOUT: '0.5' }))
      .toEqual({ dialect: 'postgres', url: 'POSTGRESQL://h/db', poolMax: 3, connectTimeoutSeconds: 0.5 })
    expect(resolveDatabase('postgres://h/db', { DATABASE_POOL_MAX: '', DATABASE_CONNECT_TIMEOUT: '' })).toMatchObject({ poolMax: 10, connectTimeoutSeconds: 2 })
    expect(resolveDatabase('postgres://h/db', { DATABASE_CONNECT_TIMEOUT: '.25' })).toMatchObject({ connectTimeoutSeconds: 0.25 })
  })

  it.each([
    ['DATABASE_POOL_MAX', 'ten'],
    ['DATABASE_POOL_MAX', '0'],
    ['DATABASE_POOL_MAX', '2.5'],
    ['DATABASE_POOL_MAX', '1001'],
    // Number() would read these as 16, 100 and 3.
    ['DATABASE_POOL_MAX', '0x10'],
    ['DATABASE_POOL_MAX', '1e2'],
    ['DATABASE_POOL_MAX', '0b11'],
    ['DATABASE_CONNECT_TIMEOUT', '5.'],
    ['DATABASE_CONNECT_TIMEOUT', '-1'],
    ['DATABASE_CONNECT_TIMEOUT', 'Infinity'],
    ['DATABASE_CONNECT_TIMEOUT', '3601'],
  ])('refuses %s = %j, naming it', (variable, value) => {
    expect(() => resolveDatabase('postgres://h/db', { [variable]: value })).toThrow(new RegExp(`^Invalid configuration: ${variable} must be .*, not "${value}"$`))
  })

  it('names both bad pool settings at once, and ignores them for SQLite', () => {
    const env = { DATABASE_POOL_MAX: 'x', DATABASE_CONNECT_TIMEOUT: 'y' }
    expect(() => resolveDatabase('postgres://h/db', env))
      .toThrow('Invalid configuration: DATABASE_POOL_MAX must be a whole number of connections above 0 and at most 1000, not "x"; DATABASE_CONNECT_TIMEOUT must be a number of seconds above 0 and at most 3600, not "y"')
    expect(resolveDatabase('./x.db', env)).toEqual({ dialect: 'sqlite', path: resolve('x.db') })
  })

  it('refuses a URL of another scheme', () => {
    expect(() => resolveDatabase('mysql://h/db', {})).toThrow('Invalid configuration: DATABASE_URL has an unsupported scheme, mysql: (use a SQLite path, file:, or postgres://)')
  })
})
