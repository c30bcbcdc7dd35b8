import { createHash, timingSafeEqual } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { join } from 'node:path'
import { hostForUrl } from '../core/hosts.js'
import { newToken } from '../core/ids.js'

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]']

/**
 * The checks of `server --http` (docs/cli.md#over-http): Host (DNS rebinding), Origin (browsers) and the bearer token. The token
 * is shared by every client; it authenticates the request, not an agent.
 */
export class HttpGuard {
  private readonly hosts = new Set<string>()
  private readonly origins: Set<string>
  private readonly tokenDigest: Buffer

  constructor(options: { host: string; port: number; token: string; allowedHosts: string[]; allowedOrigins: string[]; exposed: boolean }) {
    for (const name of [hostForUrl(options.host), ...LOOPBACK_NAMES]) this.hosts.add(`${name.toLowerCase()}:${options.port}`)
    for (const entry of options.allowedHosts.map((item) => item.toLowerCase())) {
      this.hosts.add(entry)
      if (!/:\d+$/.test(entry)) this.hosts.add(`${entry}:${options.port}`)
    }
    this.origins = new Set(options.allowedOrigins.map((origin) => origin.toLowerCase().replace(/\/+$/, '')))
    // a page served by this machine on the server's own loopback port is no rebinding attack: a browser-based MCP
    // client on the same machine may connect (the token is still required); a listener beyond loopback keeps the list
    if (!options.exposed) for (const name of LOOPBACK_NAMES) this.origins.add(`http://${name}:${options.port}`)
    this.tokenDigest = digest(options.token)
  }

  /** The status that refuses the request (403 for Host or Origin, 401 for the token), or 0 when it may proceed. */
  refusal(req: IncomingMessage, needsToken: boolean): 0 | 401 | 403 {
    const host = req.headers.host?.toLowerCase()
    if (host === undefined || !this.hosts.has(host)) return 403
    const origin = req.headers.origin
    if (origin !== undefined && !this.origins.has(origin.toLowerCase())) return 403
    if (needsToken && !this.hasToken(req)) return 401
    return 0
  }

  /** A key for the request's token, to count sessions per token (the digest: the token itself is not kept around). */
  tokenKey(req: IncomingMessage): string {
    return digest(bearerOf(req) ?? '').toString('hex')
  }

  private hasToken(req: IncomingMessage): boolean {
    const given = bearerOf(req)
    // digests have equal length, so the comparison does not reveal the token's length either
    return given !== undefined && timingSafeEqual(digest(given), this.tokenDigest)
  }
}

/** The token in `<data>/http-token`, created (0600) when missing or empty. */
export function tokenFromFile(dataDir: string): { token: string; file: string } {
  const file = join(dataDir, 'http-token')
  const existing = readToken(file)
  if (existing) return { token: existing, file }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const token = newToken()
  try {
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: existing === '' ? 'w' : 'wx' })
    return { token, file }
  } catch (error) {
    // another server created it first: use theirs
    if ((error as NodeJS.ErrnoException).code === 'EEXIST' && readToken(file)) return { token: readToken(file)!, file }
    throw error
  }
}

function readToken(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

function bearerOf(req: IncomingMessage): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1]
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}
