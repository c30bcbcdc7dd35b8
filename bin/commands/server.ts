import { networkInterfaces } from 'node:os'
import { Option } from 'clipanion'
import { connectHost, hostForUrl } from '../../lib/core/hosts.js'
import { LockstepError } from '../../lib/errors.js'
import { resolveSettings, type Settings } from '../../lib/state/settings.js'
import { packageVersion } from '../../lib/core/version.js'
import { createLogger, type Logger } from '../log.js'
import { BaseCommand } from './base.js'
import { withServerFlags } from './_settings.js'

export class ServerCommand extends withServerFlags(BaseCommand) {
  static override paths = [['server']]
  static override usage = BaseCommand.Usage({
    description: 'Run the MCP server over stdio (what Claude Code and Codex start), or with --http for agents on other machines.',
    details:
      'stdout carries JSON-RPC only; logs go to stderr and <logs>/server.log. Exits within 1 s of SIGINT, SIGTERM or the end of stdin. The agents of a data folder share one serving process: the first server serves the later ones, which relay to it over <data>/run (--no-shared or LOCKSTEP_SHARED=0: serve in this process). With --http: Streamable HTTP at http://<host>:<port>/mcp, one lockstep session per MCP session, every request needing Authorization: Bearer <token> (--token, else LOCKSTEP_HTTP_TOKEN, else <data>/http-token); GET /healthz needs none.',
  })

  logLevel = Option.String('--log-level', { description: 'error, warn, info or debug' })
  serverName = Option.String('--server-name', { description: 'MCP server name' })
  serverVersion = Option.String('--server-version', { description: 'MCP server version' })
  storage = Option.String('--storage', { hidden: true })
  dbPath = Option.String('--db-path', { hidden: true })
  http = Option.Boolean('--http', false, { description: 'Serve Streamable HTTP instead of stdio' })
  host = Option.String('--host', { description: 'With --http: address to bind (default 127.0.0.1)' })
  port = Option.String('--port', { description: 'With --http: port (default 8788; 0 lets the system pick)' })
  token = Option.String('--token', { description: 'With --http: bearer token (default LOCKSTEP_HTTP_TOKEN, else <data>/http-token)' })
  allowedHosts = Option.String('--allowed-hosts', { description: 'With --http: comma-separated extra Host header values' })
  allowedOrigins = Option.String('--allowed-origins', { description: "With --http: comma-separated origins allowed to call (default none; on loopback, the server's own loopback origins)" })
  maxSessions = Option.String('--max-sessions', { description: 'With --http: live sessions in all (default 64; beyond: 503)' })
  maxSessionsPerToken = Option.String('--max-sessions-per-token', { description: 'With --http: live sessions per token (default 32; beyond: 429)' })
  sessionIdle = Option.String('--session-idle', { description: 'With --http: seconds without a request before a session is closed (default 600)' })
  shared = Option.Boolean('--shared', true, { description: 'Share one serving process with the other agents of the data folder (default); --no-shared serves this agent in this process' })
  sharedDaemon = Option.Boolean('--shared-daemon', false, { hidden: true })
  sharedIdle = Option.String('--shared-idle', { hidden: true })

  async run(): Promise<number> {
    const flags = { ...this.serverFlags(), logLevel: this.logLevel, serverName: this.serverName, serverVersion: this.serverVersion, storage: this.storage, dbPath: this.dbPath }
    const { settings, warnings } = resolveSettings(flags, this.context.env, this.context.cwd, packageVersion())
    const logger = createLogger(settings.logDir, 'server', settings.logLevel, this.context.stderr)
    redirectConsole((line) => logger.log('info', line))
    for (const warning of warnings) logger.log('warn', warning)
    if (this.http) return this.runHttp({ ...settings, transport: 'http' }, logger)
    const httpFlags = {
      '--host': this.host,
      '--port': this.port,
      '--token': this.token,
      '--allowed-hosts': this.allowedHosts,
      '--allowed-origins': this.allowedOrigins,
      '--max-sessions': this.maxSessions,
      '--max-sessions-per-token': this.maxSessionsPerToken,
      '--session-idle': this.sessionIdle,
    }
    const stray = Object.entries(httpFlags).find(([, value]) => value !== undefined)?.[0]
    if (stray) throw new LockstepError('INVALID_INPUT', `${stray} applies only to the HTTP server; add --http, or leave ${stray} out.`, { flag: stray })
    if (this.sharedDaemon) {
      const { runSharedDaemon } = await import('./_shared-daemon.js')
      return runSharedDaemon(settings, Number(this.sharedIdle) > 0 ? Number(this.sharedIdle) : 10, logger, this.context.cwd)
    }
    // Windows: each agent in its own process until the named-pipe path is tested there
    if (this.shared && process.platform !== 'win32' && !/^(0|false|no|off)$/i.test(this.context.env.LOCKSTEP_SHARED ?? '')) {
      const { serveShared } = await import('./_shared.js')
      const code = await serveShared(settings, flags, logger, this.context)
      if (code !== 'unavailable') process.exit(code)
      logger.log('warn', 'no shared server could be reached: serving this session in this process')
    }
    const { runInProcess } = await import('./_in-process.js')
    return runInProcess(settings, logger, this.context.cwd, this.context.env)
  }

  private async runHttp(settings: Settings, logger: Logger): Promise<number> {
    // the HTTP transport is loaded only here: a stdio server never needs it
    const { resolveHttpOptions, startHttpServer } = await import('../../lib/http/http-server.js')
    const flags = {
      host: this.host,
      port: this.port,
      token: this.token,
      allowedHosts: this.allowedHosts,
      allowedOrigins: this.allowedOrigins,
      maxSessions: this.maxSessions,
      maxSessionsPerToken: this.maxSessionsPerToken,
      sessionIdle: this.sessionIdle,
    }
    const options = resolveHttpOptions(flags, this.context.env, settings.dataDir)
    if (options.tokenFile) this.context.stderr.write(`lockstep-mcp bearer token in ${options.tokenFile}\n`)
    if (options.exposed) logger.log('warn', `listening on ${options.host}, beyond loopback: anyone with the token can act as any agent, and the file, command and launch tools act on this machine.`)
    const [{ buildCtx, openStore }, { SnapshotWriter }, { shutdownOnce, sweepEvery }, { newId }] = await Promise.all([
      import('../../lib/state/open.js'),
      import('../../lib/state/snapshot.js'),
      import('../lifecycle.js'),
      import('../../lib/core/ids.js'),
    ])
    const store = openStore(settings.dataDir)
    const snapshots = new SnapshotWriter({ store, warn: (message) => logger.log('warn', message) })
    snapshots.attach(store)
    const running = await startHttpServer({ ...options, store, settings, cwd: this.context.cwd, log: (level, message) => logger.log(level, message) }).catch((error) => {
      store.close()
      throw error
    })
    const reach = reachableUrl(options.host, running.port, options.allowedHosts)
    this.context.stderr.write(`lockstep-mcp listening on ${running.url}${reach === running.url ? '' : `; clients reach it at ${reach}`}\n`)
    this.context.stderr.write(`On each agent's machine, register it with:\n  lockstep-mcp install --url ${reach} --token ${options.token}\n`)
    logger.log('info', `lockstep-mcp ${settings.serverVersion} serving over HTTP at ${running.url} (data ${settings.dataDir})`)
    const shutdown = shutdownOnce(logger, async () => {
      await running.close()
      await snapshots.flush()
      store.close()
    })
    process.on('SIGINT', () => shutdown('SIGINT'))
    process.on('SIGTERM', () => shutdown('SIGTERM'))
    const sweepCtx = buildCtx(store, settings, { sessionId: newId('sess'), transport: 'http', cwd: this.context.cwd })
    sweepEvery(sweepCtx, () => running.projectRoots(), logger)
    await new Promise(() => undefined)
    return 0
  }
}

/** The URL a client uses: the first allowed host name, a wildcard bind's first network address, else the bound host. */
function reachableUrl(host: string, port: number, allowedHosts: readonly string[]): string {
  const named = allowedHosts[0]
  if (named) return `http://${/:\d+$/.test(named) ? named : `${named}:${port}`}/mcp`
  const wildcard = host === '0.0.0.0' || host === '::'
  const address = wildcard
    ? Object.values(networkInterfaces())
        .flat()
        .find((item) => item && !item.internal && item.family === 'IPv4')?.address
    : undefined
  return `http://${hostForUrl(address ?? connectHost(host))}:${port}/mcp`
}

/** Dependencies that print must not corrupt the JSON-RPC stream on stdout. */
function redirectConsole(write: (line: string) => void): void {
  const forward = (...args: unknown[]) => write(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '))
  console.log = forward
  console.info = forward
  console.debug = forward
  console.warn = forward
  console.error = forward
  console.trace = forward
}
