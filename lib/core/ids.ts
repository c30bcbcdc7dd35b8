import { randomBytes } from 'node:crypto'

export type IdKind = 'task' | 'lock' | 'note' | 'disc' | 'msg' | 'agent' | 'sess'

const ALPHABET = '0123456789abcdefghijkmnpqrstvwxyz'

/** A random id such as `task-7k2m9q4x`: 8 characters, about 40 bits, from node:crypto. */
export function newId(kind: IdKind, length = 8): string {
  const bytes = randomBytes(length)
  let out = ''
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length]
  return `${kind}-${out}`
}

/** 32 random bytes as base64url, for dashboard and HTTP tokens. */
export function newToken(): string {
  return randomBytes(32).toString('base64url')
}
