import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core'

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
