// Session tokens the benchmark can name without storing them: the token for (seed, i) is derived
// from both, so the seeding code and the load generator (another process) agree on it from two
// numbers instead of passing a million strings around.
import { createHash } from 'node:crypto'

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

/** A token in the server's own format (40 characters of lower-case base32, 200 bits). */
export function benchToken(seed, index) {
  const bytes = createHash('sha256').update(`${seed}:${index}`).digest().subarray(0, 25)
  let bits = 0
  let value = 0
  let token = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      bits -= 5
      token += BASE32[(value >>> bits) & 31]
    }
  }
  return token
}

/** The session row's id for a token, as the server computes it (server/utils/session-token.ts). */
export function sessionIdOf(token) {
  return createHash('sha256').update(token).digest('hex')
}
