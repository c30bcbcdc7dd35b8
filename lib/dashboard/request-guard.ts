import { networkInterfaces } from 'node:os'
import { hostForUrl, isLoopbackHost, LOOPBACK_NAMES } from '../core/hosts.js'
import { RequestGuard } from '../core/request-guard.js'

/**
 * The checks of the dashboard (docs/cli.md#dashboard): Host (DNS rebinding), Origin (cross-site requests) and the per-run token. Host is checked
 * on every request, reads included, since a rebound name would otherwise read the store through the browser.
 */
export class Guard extends RequestGuard {
  constructor(
    readonly bindHost: string,
    readonly port: number,
    token: string,
  ) {
    const names = new Set([hostForUrl(bindHost).toLowerCase()])
    if (isLoopbackHost(bindHost) || isWildcard(bindHost)) for (const name of LOOPBACK_NAMES) names.add(name)
    if (isWildcard(bindHost)) for (const address of localAddresses()) names.add(hostForUrl(address).toLowerCase())
    const hosts = [...names].map((name) => `${name}:${port}`)
    // browsers send Origin on every fetch POST, so a POST without one did not come from our page;
    // EventSource sets no headers, hence the token in the query
    super({ hosts, origins: hosts.map((host) => `http://${host}`), originRequired: true, token, tokenHeader: 'x-lockstep-token', tokenQuery: 'token' })
  }

  /** Reads without a token are allowed only when the dashboard listens on loopback alone. */
  get readsNeedToken(): boolean {
    return !isLoopbackHost(this.bindHost)
  }
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::'
}

function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((item) => item.address))
}
