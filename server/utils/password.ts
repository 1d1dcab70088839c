import { hash, verify } from '@node-rs/argon2'

// argon2id at OWASP's first recommended profile: 19 MiB, 2 iterations, 1 lane.
const ARGON2ID = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2ID)
}

let dummyHash: Promise<string> | undefined

/**
 * Verifies a password against a user's hash, or, for an unknown user, against a dummy hash, so
 * that both failures cost one argon2 verification and take about the same time.
 */
export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  dummyHash ??= hashPassword('not the password of anyone')
  const valid = await verify(passwordHash ?? await dummyHash, password).catch(() => false)
  return passwordHash !== undefined && valid
}
