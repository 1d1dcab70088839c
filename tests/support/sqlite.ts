import { createHash } from 'node:crypto'
import Database from 'better-sqlite3'

/** A second connection to a test server's SQLite file, to check and arrange rows directly. */
export function openDatabase(path: string) {
  const db = new Database(path)
  db.pragma('busy_timeout = 5000')
  return db
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex')
}
