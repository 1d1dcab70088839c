import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

export const userTable = sqliteTable('user', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  createdAt: integer('created_at').notNull(),
})

export const sessionTable = sqliteTable('session', {
  // Lower-case hex SHA-256 of the cookie token: the token itself is never stored.
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => userTable.id, { onDelete: 'cascade' }),
  expiresAt: integer('expires_at').notNull(),
  createdAt: integer('created_at').notNull(),
  userAgent: text('user_agent'),
}, table => [
  index('session_user_id_idx').on(table.userId),
  index('session_expires_at_idx').on(table.expiresAt),
])

// Why a session ended, for the 401 its cookie gets afterwards. Keyed by the session's public id
// (server/utils/sessions.ts), never by the token or its hash; kept 30 days.
export const sessionEndTable = sqliteTable('session_end', {
  publicId: text('public_id').primaryKey(),
  reason: text('reason').notNull(),
  endedAt: integer('ended_at').notNull(),
}, table => [
  index('session_end_ended_at_idx').on(table.endedAt),
])

export const passwordResetTable = sqliteTable('password_reset', {
  // Lower-case hex SHA-256 of the emailed token: the token itself is never stored.
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => userTable.id, { onDelete: 'cascade' }),
  expiresAt: integer('expires_at').notNull(),
  createdAt: integer('created_at').notNull(),
}, table => [
  index('password_reset_user_id_idx').on(table.userId),
  index('password_reset_expires_at_idx').on(table.expiresAt),
])

// A user's security activity (every auth event but logout and account deletion), kept 90 days.
export const securityEventTable = sqliteTable('security_event', {
  // Ascending with insertion: the activity list orders by it, newest first.
  id: integer('id').primaryKey({ autoIncrement: true }),
  userId: text('user_id').notNull().references(() => userTable.id, { onDelete: 'cascade' }),
  type: text('type').notNull(),
  // The public id of the session the event was made in, if any.
  sessionPublicId: text('session_public_id'),
  ipAddress: text('ip_address'),
  userAgent: text('user_agent'),
  createdAt: integer('created_at').notNull(),
  // login-throttled rows only: the quarter hour of the clock they fall in (ms since the epoch
  // / 900,000). The unique index keeps one per user in each, whatever the number of instances
  // storing at once (server/utils/auth-events.ts); other rows leave it null, and nulls never
  // collide in a unique index.
  throttleBucket: integer('throttle_bucket'),
}, table => [
  index('security_event_user_id_idx').on(table.userId, table.id),
  index('security_event_created_at_idx').on(table.createdAt),
  uniqueIndex('security_event_throttled_once').on(table.userId, table.throttleBucket),
])

// Throttling counters (server/utils/throttle.ts), in the layout rate-limiter-flexible's
// RateLimiterSQLite reads and writes: one row per limiter and subject (a hash, never an email or
// an address), `expire` in epoch milliseconds. Expired rows are deleted by the cleanup task.
export const rateLimitTable = sqliteTable('rate_limit', {
  key: text('key').primaryKey(),
  points: integer('points').notNull().default(0),
  expire: integer('expire'),
}, table => [
  index('rate_limit_expire_idx').on(table.expire),
])
