import { desc, eq, sql } from 'drizzle-orm'
import type { H3Event } from 'h3'
import { createLineBatcher } from './line-batcher'

/**
 * Every authentication event goes through here (contract: "Security activity"): one JSON line
 * on stdout per event and, for all but `logout` and `account-deleted`, a row in the user's
 * security_event table, which GET /api/auth/activity lists (kept 90 days: the cleanup task in
 * server/database/cleanup.ts removes older rows). Never a password, a token or a token's hash: a
 * session is named by its public id.
 */

/** The contract's events: the stored ones (shared/types/activity.ts) and the two only logged. */
export type AuthEventType = ActivityType | 'logout' | 'account-deleted'

export interface AuthEventDetails {
  userId?: string
  /**
   * The row id (token hash) of the session the event was made in (after a rotation the new one;
   * for session-revoked and logout-all the session that asked); logged as its public id.
   */
  sessionId?: string
}

/**
 * Log only: logout stays one statement, and after account-deleted there is no user to keep
 * rows for (they would go with the user by the foreign key's cascade anyway).
 */
const LOG_ONLY: ReadonlySet<AuthEventType> = new Set(['logout', 'account-deleted'])

/**
 * Logs the event, then stores it for the user. The log line is the record (it is written
 * whatever happens next, see eventLines); the row is the user's view of it. A failure to
 * store the row is logged and does not fail the request: the action it describes has already
 * happened (a session started or ended), and a 500 would tell the client the opposite.
 */
export async function emitAuthEvent(event: H3Event, type: AuthEventType, details: AuthEventDetails = {}): Promise<void> {
  const sessionPublicId = details.sessionId === undefined ? undefined : publicSessionId(details.sessionId)
  const ipAddress = clientAddress(event)
  const userAgent = getRequestHeader(event, 'user-agent')?.slice(0, 256)
  const at = new Date()
  const line = { event: type, userId: details.userId, sessionId: sessionPublicId, ipAddress, userAgent, at: at.toISOString(), requestId: requestId(event) }
  event.waitUntil(eventLines.add(`${JSON.stringify(line)}\n`))

  const { userId } = details
  if (userId === undefined || LOG_ONLY.has(type)) return
  const store = async () => {
    try {
      const database = await useStore()
      await insertEventStatement(database).execute({
        userId,
        type,
        sessionPublicId: sessionPublicId ?? null,
        ipAddress,
        userAgent: userAgent ?? null,
        createdAt: database.toTime(at),
        throttleBucket: type === 'login-throttled' ? throttleBucket(at) : null,
      })
    }
    catch (error) {
      console.error(`[auth-events] could not store a ${type} event (request id ${line.requestId}):`, error)
    }
  }
  // A wrong password's row (and a refused log-in's) is written once the 401 (429) is out: an
  // unknown email has no account and so no row, and the two must take about the same time to
  // answer (no user enumeration).
  if (type === 'login-failed' || type === 'login-throttled') event.waitUntil(responseSent(event).then(store))
  else await store()
}

/**
 * Event lines go out together at the end of the turn of the event loop that made them: one
 * write per event was 16 of a logout's 106 µs of server time under load, and the logouts of one
 * group commit now share one (docs/benchmarks.md). So a line is written just after its response
 * rather than before, at most one turn later. Whatever is pending at exit is written then, and
 * a serverless invocation is kept alive until its lines are out (event.waitUntil, which
 * server/plugins/vercel-wait-until.ts connects to Vercel's);
 * only a process killed outright (SIGKILL, out of memory) within that turn loses them.
 */
const eventLines = createLineBatcher(text => process.stdout.write(text))
process.on('exit', eventLines.flush)

/** Resolves once the response has been sent (or the connection has gone). */
function responseSent(event: H3Event): Promise<void> {
  const { res } = event.node
  if (res.writableFinished || res.destroyed) return Promise.resolve()
  return new Promise(resolve => res.once('close', () => resolve()))
}

/**
 * Refused logins are unbounded (each 429 is one request, and an attacker can send many), so the
 * table keeps at most one login-throttled row per user in each quarter hour of the clock (a
 * unique index on the user and this number: see the schemas); every one is logged.
 */
const THROTTLE_BUCKET_MS = 15 * 60 * 1000

function throttleBucket(at: Date): number {
  return Math.floor(at.getTime() / THROTTLE_BUCKET_MS)
}

/**
 * One prepared insert for every stored event. Only login-throttled rows have a bucket, so only
 * they can meet the conflict: a second one for the user and quarter hour, from this instance or
 * another, is dropped (a flood of 429s runs this once a request).
 */
const insertEventStatement = oncePerStore(({ db, securityEventTable: table }) => db
  .insert(table)
  .values({
    userId: sql.placeholder('userId'),
    type: sql.placeholder('type'),
    sessionPublicId: sql.placeholder('sessionPublicId'),
    ipAddress: sql.placeholder('ipAddress'),
    userAgent: sql.placeholder('userAgent'),
    createdAt: sql.placeholder('createdAt'),
    throttleBucket: sql.placeholder('throttleBucket'),
  })
  .onConflictDoNothing({ target: [table.userId, table.throttleBucket] })
  .prepare())

/** The user's last `limit` stored events, newest first; `current` marks those made in this session. */
export async function listSecurityActivity(userId: string, currentSessionId: string, limit = 50): Promise<ActivityEntry[]> {
  const { db, securityEventTable, fromTime } = await useStore()
  const rows = await db
    .select({
      type: securityEventTable.type,
      createdAt: securityEventTable.createdAt,
      userAgent: securityEventTable.userAgent,
      ipAddress: securityEventTable.ipAddress,
      sessionPublicId: securityEventTable.sessionPublicId,
    })
    .from(securityEventTable)
    .where(eq(securityEventTable.userId, userId))
    .orderBy(desc(securityEventTable.id))
    .limit(limit)
  const current = publicSessionId(currentSessionId)
  return rows.map(row => ({
    type: row.type as ActivityType,
    at: fromTime(row.createdAt).toISOString(),
    userAgent: row.userAgent,
    ipAddress: row.ipAddress,
    current: row.sessionPublicId === current,
  }))
}
