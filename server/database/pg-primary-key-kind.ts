import { entityKind } from 'drizzle-orm/entity'

/**
 * Stands in for drizzle-orm's `pg-core/primary-keys.js` where its `relations.js` imports it (a
 * build plugin in nuxt.config.ts). relations.js, which every drizzle driver loads, only asks
 * `is(entry, PrimaryKeyBuilder)`, and `is` compares this kind; the real module would pull all of
 * pg-core's column classes into the main server chunk, to be evaluated at every start.
 */
// eslint-disable-next-line @typescript-eslint/no-extraneous-class -- is() looks the kind up on a class
export class PrimaryKeyBuilder {
  static readonly [entityKind] = 'PgPrimaryKeyBuilder'
}
