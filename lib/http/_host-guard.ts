import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { join } from 'node:path'
import { hostForUrl, LOOPBACK_NAMES } from '../core/hosts.js'
import { newToken } from '../core/ids.js'
import { RequestGuard } from '../core/request-guard.js'

/**
 * The checks of `server --http` (docs/cli.md#over-http): Host (DNS rebinding), Origin (browsers, when they send one)
 * and the bearer token. The token is shared by every client; it authenticates the request, not an agent.
 */
export class HttpGuard extends RequestGuard {
  constructor(options: { host: string; port: number; token: string; allowedHosts: string[]; allowedOrigins: string[]; exposed: boolean }) {
    const hosts = new Set<string>()
    for (const name of [hostForUrl(options.host), ...LOOPBACK_NAMES]) hosts.add(`${name.toLowerCase()}:${options.port}`)
    for (const entry of options.allowedHosts.map((item) => item.toLowerCase())) {
      hosts.add(entry)
      if (!/:\d+$/.test(entry)) hosts.add(`${entry}:${options.port}`)
    }
    const origins = new Set(options.allowedOrigins.map((origin) => origin.toLowerCase().replace(/\/+$/, '')))
    // a page served by this machine on the server's own loopback port is no rebinding attack: a browser-based MCP
    // client on the same machine may connect (the token is still required); a listener beyond loopback keeps the list
    if (!options.exposed) for (const name of LOOPBACK_NAMES) origins.add(`http://${name}:${options.port}`)
    super({ hosts, origins, originRequired: false, token: options.token })
  }

  /** The status that refuses the request (403 for Host or Origin, 401 for the token), or 0 when it may proceed. */
  refusal(req: IncomingMessage, needsToken: boolean): 0 | 401 | 403 {
    if (!this.hostAllowed(req) || !this.originAllowed(req)) return 403
    if (needsToken && !this.hasToken(req)) return 401
    return 0
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
