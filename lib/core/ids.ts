import { randomBytes } from 'node:crypto'

export type IdKind = 'task' | 'lock' | 'note' | 'disc' | 'msg' | 'agent' | 'sess'

const ALPHABET = '0123456789abcdefghijkmnpqrstvwxyz'

/** A random id such as `task-7k2m9q4x`: 8 characters, about 40 bits, from node:crypto. */
export function newId(kind: IdKind, length = 8): string {
  let out = ''
  for (const byte of randomFromPool(length)) out += ALPHABET[byte % ALPHABET.length]
  return `${kind}-${out}`
}

// a call to the system's random source per id costs more than the rest of a small commit: draw them in batches
let pool = Buffer.alloc(0)
let used = 0

function randomFromPool(length: number): Buffer {
  if (used + length > pool.length) {
    pool = randomBytes(Math.max(512, length))
    used = 0
  }
  return pool.subarray(used, (used += length))
}

/** 32 random bytes as base64url, for dashboard and HTTP tokens. */
export function newToken(): string {
  return randomBytes(32).toString('base64url')
}
