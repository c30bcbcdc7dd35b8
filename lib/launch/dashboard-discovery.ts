import { existsSync, promises as fsp, readFileSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as v from 'valibot'
import { writeFileAtomic } from '../../storage/atomic.js'
import { connectHost, hostForUrl } from '../core/hosts.js'
import { processExists } from '../../storage/host.js'
import { LockstepError } from '../errors.js'

/** The running dashboard of a data folder, as recorded in `<data>/dashboard.json` (docs/cli.md#dashboard). */
export const DashboardInfo = v.object({
  pid: v.pipe(v.number(), v.integer()),
  host: v.string(),
  port: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)),
  url: v.string(),
  token: v.pipe(v.string(), v.minLength(16)),
  dataDir: v.string(),
  version: v.string(),
  startedAt: v.string(),
})
export type DashboardInfo = v.InferOutput<typeof DashboardInfo>

export const DEFAULT_PORT = 8787
const LAST_PREFERRED_PORT = 8799

function dashboardFile(dataDir: string): string {
  return join(dataDir, 'dashboard.json')
}

/** The recorded dashboard, or null when the file is missing or invalid (an invalid file means "none running"). */
async function readDashboardInfo(dataDir: string): Promise<DashboardInfo | null> {
  try {
    const result = v.safeParse(DashboardInfo, JSON.parse(await fsp.readFile(dashboardFile(dataDir), 'utf8')))
    return result.success ? result.output : null
  } catch {
    return null
  }
}

/** The recorded dashboard if it is alive: its pid runs on this host and `/api/health` reports the same data folder. */
export async function findRunningDashboard(dataDir: string, timeoutMs = 1500): Promise<DashboardInfo | null> {
  const info = await readDashboardInfo(dataDir)
  if (!info || !processExists(info.pid)) return null
  try {
    const response = await fetch(`http://${hostForUrl(connectHost(info.host))}:${info.port}/api/health`, { signal: AbortSignal.timeout(timeoutMs) })
    if (!response.ok) return null
    const health = (await response.json()) as { dataDir?: unknown; pid?: unknown }
    return health.dataDir === info.dataDir && health.pid === info.pid ? info : null
  } catch {
    return null
  }
}

export async function writeDashboardInfo(info: DashboardInfo): Promise<void> {
  await fsp.mkdir(info.dataDir, { recursive: true, mode: 0o700 })
  await writeFileAtomic(dashboardFile(info.dataDir), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 })
}

/** Remove dashboard.json when it still names `pid`: a newer dashboard's record is left alone. */
export function removeDashboardInfo(dataDir: string, pid: number): void {
  try {
    const recorded = JSON.parse(readFileSync(dashboardFile(dataDir), 'utf8')) as { pid?: unknown }
    if (recorded.pid === pid) rmSync(dashboardFile(dataDir), { force: true })
  } catch {
    // nothing recorded, or not readable: nothing of ours to remove
  }
}

/**
 * Listen on `host:port`; when the port is taken, on the following ports up to 8799, then on a port the OS picks.
 * Port 0 asks the OS at once. Resolves to the bound port.
 */
export async function listenWithFallback(server: Server, host: string, port: number): Promise<number> {
  const candidates = port === 0 ? [] : [port, ...range(port + 1, LAST_PREFERRED_PORT)]
  for (const candidate of candidates) {
    if (await tryListen(server, host, candidate)) return boundPort(server)
  }
  if (!(await tryListen(server, host, 0))) throw new LockstepError('UNAVAILABLE', `No port is free on ${host}; stop another server or pass --host.`, { host })
  return boundPort(server)
}

function tryListen(server: Server, host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false)
      else reject(new LockstepError('UNAVAILABLE', `Cannot listen on ${host} (${error.code ?? error.message}); pass an address of this machine with --host.`, { host }))
    }
    const onListening = () => {
      server.off('error', onError)
      resolve(true)
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
}

function boundPort(server: Server): number {
  const address = server.address()
  return typeof address === 'object' && address ? address.port : 0
}

function range(from: number, to: number): number[] {
  const out: number[] = []
  for (let port = from; port <= to; port++) out.push(port)
  return out
}

/** `http://<host>:<port>/[?project=<id>]#token=<token>` */
export function dashboardUrl(host: string, port: number, token: string, projectId?: string): string {
  const query = projectId ? `?project=${encodeURIComponent(projectId)}` : ''
  return `http://${hostForUrl(host)}:${port}/${query}#token=${token}`
}

/** The package folder (holding package.json, public/ and dist/), from source or from dist. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'public'))) return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error('lockstep-mcp package folder not found')
    dir = parent
  }
}
