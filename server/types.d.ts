import type { MigrationMeta } from 'drizzle-orm/migrator'
import type { AuthSession, AuthUser } from './utils/auth'

declare module '#migrations/sqlite' {
  const migrations: MigrationMeta[]
  export default migrations
}

declare module 'h3' {
  interface H3EventContext {
    /** Set by server/middleware/session.ts; null when the request carries no valid session. */
    user: AuthUser | null
    session: AuthSession | null
  }
}

export {}
