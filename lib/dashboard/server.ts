import { createServer } from 'node:http'
import { join } from 'node:path'
import polka from 'polka'
import sirv from 'sirv'
import { buildCtx, openStore } from '../state/open.js'
import { LockstepError } from '../errors.js'
import { newId, newToken } from '../core/ids.js'
import type { Settings } from '../state/settings.js'
import { packageVersion } from '../core/version.js'
import { forbidden, mountApi, sendError } from './_api.js'
import { Guard } from './request-guard.js'
import { EventHub, StoreWatch } from './_sse.js'
import { connectHost } from '../core/hosts.js'
import { DEFAULT_PORT, dashboardUrl, listenWithFallback, packageRoot, type DashboardInfo } from '../launch/dashboard-discovery.js'

export interface DashboardOptions {
  settings: Settings
  host?: string
  /** The preferred port; taken → the next ones up to 8799, then one the OS picks. 0: the OS picks. */
  port?: number
  token?: string
  /** The poll interval where file watching misses changes (minimum 200 ms). */
  pollMs?: number
  /** The project id shown first. */
  initialProject?: string
  log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string) => void
}

export interface RunningDashboard {
  info: DashboardInfo
  close(): Promise<void>
}

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/**
 * Serve public/, the JSON API and live updates over the store of `settings.dataDir`. Reads go through a read-only
 * store (lock-free, cached by mtime); only actions write, through the tools' lib functions as `human`.
 */
export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const { settings } = options
  const log = options.log ?? (() => undefined)
  const host = options.host ?? '127.0.0.1'
  const token = options.token ?? newToken()
  const version = packageVersion()
  const readStore = openStore(settings.dataDir, { readOnly: true })
  const writeStore = openStore(settings.dataDir)
  const readCtx = buildCtx(readStore, settings, { sessionId: newId('sess'), cwd: settings.dataDir, fixedActor: 'human', pid: process.pid })
  const hub = new EventHub()
  const watch = new StoreWatch(settings.dataDir, Math.max(200, options.pollMs ?? 1500), (change) => hub.send(change))
  writeStore.onCommit(() => watch.poke())
  await watch.ready

  const server = createServer()
  const app = polka({ server, onError: (error, _req, res) => sendError(res, error, log), onNoMatch: (_req, res) => sendError(res, notFound(), log) })
  // the Host check needs the bound port: until it is known, every request is refused
  let guard: Guard | null = null
  app.use((req, res, next) => {
    res.setHeader('Content-Security-Policy', CSP)
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.setHeader('Referrer-Policy', 'no-referrer')
    if (!guard?.hostAllowed(req)) return sendError(res, forbidden('Unknown Host header: open the dashboard by the URL it printed.'), log)
    void next()
  })
  server.on('request', (req, res) => void app.handler(req as never, res, undefined as never))
  const release = () => {
    watch.close()
    hub.close()
    readStore.close()
    writeStore.close()
  }
  const port = await listenWithFallback(server, host, options.port ?? DEFAULT_PORT).catch((error) => {
    release()
    throw error
  })
  guard = new Guard(host, port, token)
  mountApi(app, {
    dataDir: settings.dataDir,
    version,
    guard,
    hub,
    readCtx,
    actionCtx: (project) => buildCtx(writeStore, settings, { sessionId: newId('sess'), cwd: project.root, fixedActor: 'human', pid: process.pid }),
    initialProject: options.initialProject,
    log,
  })
  app.use(sirv(join(packageRoot(), 'public'), { etag: true, dev: false }))

  const info: DashboardInfo = {
    pid: process.pid,
    host,
    port,
    url: dashboardUrl(host === '0.0.0.0' || host === '::' ? connectHost(host) : host, port, token),
    token,
    dataDir: settings.dataDir,
    version,
    startedAt: new Date().toISOString(),
  }
  return {
    info,
    close: async () => {
      release()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function notFound(): LockstepError {
  return new LockstepError('NOT_FOUND', 'Nothing here; the API lives under /api/.', {})
}
