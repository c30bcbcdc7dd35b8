import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export interface RequestGuardOptions {
  /** Host header values accepted, `name:port` in lower case: any other name may be a DNS rebinding. */
  hosts: Iterable<string>
  /** Origins accepted (`scheme://host:port`, lower case, no trailing slash). */
  origins: Iterable<string>
  /** Whether a request without Origin is refused (the dashboard's actions: its page always sends one). */
  originRequired: boolean
  token: string
  /** Besides `Authorization: Bearer`: the header, then the query parameter, that may carry the token. */
  tokenHeader?: string
  tokenQuery?: string
}

/** The Host, Origin and token checks shared by the MCP HTTP transport and the dashboard. */
export class RequestGuard {
  private readonly hosts: Set<string>
  private readonly origins: Set<string>
  private readonly tokenDigest: Buffer

  constructor(private readonly options: RequestGuardOptions) {
    this.hosts = new Set(options.hosts)
    this.origins = new Set(options.origins)
    this.tokenDigest = digest(options.token)
  }

  hostAllowed(req: IncomingMessage): boolean {
    const host = req.headers.host?.toLowerCase()
    return host !== undefined && this.hosts.has(host)
  }

  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin?.toLowerCase()
    return origin === undefined ? !this.options.originRequired : this.origins.has(origin)
  }

  hasToken(req: IncomingMessage, query: Record<string, string> = {}): boolean {
    const given = this.tokenOf(req, query)
    // digests have equal length, so the comparison does not reveal the token's length either
    return given !== undefined && timingSafeEqual(digest(given), this.tokenDigest)
  }

  /** A key for the request's token, to count sessions per token (the digest: the token itself is not kept around). */
  tokenKey(req: IncomingMessage): string {
    return digest(this.tokenOf(req, {}) ?? '').toString('hex')
  }

  private tokenOf(req: IncomingMessage, query: Record<string, string>): string | undefined {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1]
    if (bearer !== undefined) return bearer
    const { tokenHeader, tokenQuery } = this.options
    const header = tokenHeader ? req.headers[tokenHeader] : undefined
    if (typeof header === 'string') return header
    return tokenQuery && typeof query[tokenQuery] === 'string' ? query[tokenQuery] : undefined
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}
