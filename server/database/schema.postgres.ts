import { bigint, index, integer, pgTable, text, timestamp, uniqueIndex, varchar } from 'drizzle-orm/pg-core'

// Mirrors schema.sqlite.ts; time columns are timestamptz, as Lucia's PostgreSQL adapter expects.
export const userTable = pgTable('user', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
})

export const sessionTable = pgTable('session', {
  // Lower-case hex SHA-256 of the cookie token: the token itself is never stored.
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => userTable.id, { onDelete: 'cascade' }),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  userAgent: text('user_agent'),
}, table => [
  index('session_user_id_idx').on(table.userId),
  index('session_expires_at_idx').on(table.expiresAt),
])

export const sessionEndTable = pgTable('session_end', {
  publicId: text('public_id').primaryKey(),
  reason: text('reason').notNull(),
  endedAt: timestamp('ended_at', { withTimezone: true, mode: 'date' }).notNull(),
}, table => [
  index('session_end_ended_at_idx').on(table.endedAt),
])

export const passwordResetTable = pgTable('password_reset', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => userTable.id, { onDelete: 'cascade' }),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
}, table => [
  index('password_reset_user_id_idx').on(table.userId),
  index('password_reset_expires_at_idx').on(table.expiresAt),
])

export const securityEventTable = pgTable('security_event', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  userId: text('user_id').notNull().references(() => userTable.id, { onDelete: 'cascade' }),
  type: text('type').notNull(),
  sessionPublicId: text('session_public_id'),
  ipAddress: text('ip_address'),
  userAgent: text('user_agent'),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  // login-throttled rows only: their quarter hour of the clock (see schema.sqlite.ts).
  throttleBucket: integer('throttle_bucket'),
}, table => [
  index('security_event_user_id_idx').on(table.userId, table.id),
  index('security_event_created_at_idx').on(table.createdAt),
  uniqueIndex('security_event_throttled_once').on(table.userId, table.throttleBucket),
])

// The layout rate-limiter-flexible's RateLimiterPostgres reads and writes (see schema.sqlite.ts).
export const rateLimitTable = pgTable('rate_limit', {
  key: varchar('key', { length: 255 }).primaryKey(),
  points: integer('points').notNull().default(0),
  expire: bigint('expire', { mode: 'number' }),
}, table => [
  index('rate_limit_expire_idx').on(table.expire),
])
