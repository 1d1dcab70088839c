import { is } from 'drizzle-orm'
import { getTableConfig, index, integer, pgTable, primaryKey, unique } from 'drizzle-orm/pg-core'
import { describe, expect, it } from 'vitest'
import { PrimaryKeyBuilder } from '../../server/database/pg-primary-key-kind'

// The stand-in the build gives drizzle-orm's relations.js for pg-core's class (nuxt.config.ts):
// its one use there is `is(entry, PrimaryKeyBuilder)`, which must answer as the real class would.
describe('the PrimaryKeyBuilder stand-in', () => {
  it('is taken for a PostgreSQL primary key, and for nothing else a table config holds', () => {
    let entries: unknown[] = []
    const pair = pgTable('pair', { a: integer('a').notNull(), b: integer('b').notNull() }, t => (entries = [
      primaryKey({ columns: [t.a, t.b] }),
      index('pair_b').on(t.b),
      unique('pair_ab').on(t.a, t.b),
    ]))
    // A table's extra config is built when it is read.
    expect(getTableConfig(pair).primaryKeys).toHaveLength(1)
    expect(entries.map(entry => is(entry, PrimaryKeyBuilder))).toEqual([true, false, false])
  })
})
