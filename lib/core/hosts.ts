// Host names as the HTTP servers bind, print and check them.

export function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

/** A wildcard bind address is reached through loopback. */
export function connectHost(host: string): string {
  return host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare)
}

/** The names a browser or client on this machine uses for a loopback listener, as they appear in a Host header. */
export const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]']
