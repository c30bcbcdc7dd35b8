import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { networkInterfaces } from 'node:os'
import { hostForUrl, isLoopbackHost } from '../core/hosts.js'

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]']

/**
 * The checks of the dashboard (docs/cli.md#dashboard): Host (DNS rebinding), Origin (cross-site requests) and the per-run token. Host is checked
 * on every request, reads included, since a rebound name would otherwise read the store through the browser.
 */
export class Guard {
  private readonly hosts: Set<string>
  private readonly origins: Set<string>

  constructor(
    readonly bindHost: string,
    readonly port: number,
    private readonly token: string,
  ) {
    const names = new Set([hostForUrl(bindHost).toLowerCase()])
    if (isLoopbackHost(bindHost) || isWildcard(bindHost)) for (const name of LOOPBACK_NAMES) names.add(name)
    if (isWildcard(bindHost)) for (const address of localAddresses()) names.add(hostForUrl(address).toLowerCase())
    this.hosts = new Set([...names].map((name) => `${name}:${port}`))
    this.origins = new Set([...this.hosts].map((host) => `http://${host}`))
  }

  /** Reads without a token are allowed only when the dashboard listens on loopback alone. */
  get readsNeedToken(): boolean {
    return !isLoopbackHost(this.bindHost)
  }

  hostAllowed(req: IncomingMessage): boolean {
    const host = req.headers.host?.toLowerCase()
    return host !== undefined && this.hosts.has(host)
  }

  /** Browsers send Origin on every fetch POST, so a POST without one did not come from our page. */
  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin?.toLowerCase()
    return origin !== undefined && this.origins.has(origin)
  }

  /** `Authorization: Bearer <token>`, `X-Lockstep-Token`, or (for EventSource, which sets no headers) `?token=`. */
  hasToken(req: IncomingMessage, query: Record<string, string> = {}): boolean {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1]
    const header = req.headers['x-lockstep-token']
    const given = bearer ?? (typeof header === 'string' ? header : undefined) ?? (typeof query.token === 'string' ? query.token : undefined)
    return given !== undefined && sameSecret(given, this.token)
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::'
}

function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((item) => item.address))
}
