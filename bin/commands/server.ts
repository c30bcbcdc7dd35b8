import { networkInterfaces } from 'node:os'
import { Option } from 'clipanion'
import { connectHost, hostForUrl } from '../../lib/core/hosts.js'
import { buildCtx, openStore } from '../../lib/state/open.js'
import { LockstepError } from '../../lib/errors.js'
import { newId } from '../../lib/core/ids.js'
import { createMcpServer } from '../../lib/mcp/server.js'
import { LineStdioTransport } from '../../lib/mcp/stdio.js'
import { endSession } from '../../lib/agents/sessions.js'
import { resolveSettings, type Settings } from '../../lib/state/settings.js'
import { SnapshotWriter } from '../../lib/state/snapshot.js'
import { packageVersion } from '../../lib/core/version.js'
import { shutdownOnce, sweepEvery } from '../lifecycle.js'
import { createLogger, type Logger } from '../log.js'
import { BaseCommand } from './base.js'
import { withServerFlags } from './_settings.js'

export class ServerCommand extends withServerFlags(BaseCommand) {
  static override paths = [['server']]
  static override usage = BaseCommand.Usage({
    description: 'Run the MCP server over stdio (what Claude Code and Codex start), or with --http for agents on other machines.',
    details:
      'stdout carries JSON-RPC only; logs go to stderr and <logs>/server.log. Exits within 1 s of SIGINT, SIGTERM or the end of stdin. With --http: Streamable HTTP at http://<host>:<port>/mcp, one lockstep session per MCP session, every request needing Authorization: Bearer <token> (--token, else LOCKSTEP_HTTP_TOKEN, else <data>/http-token); GET /healthz needs none.',
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

  async run(): Promise<number> {
    const { settings, warnings } = resolveSettings(
      { ...this.serverFlags(), logLevel: this.logLevel, serverName: this.serverName, serverVersion: this.serverVersion, storage: this.storage, dbPath: this.dbPath },
      this.context.env,
      this.context.cwd,
      packageVersion(),
    )
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
    const store = openStore(settings.dataDir)
    const ctx = buildCtx(store, settings, { sessionId: newId('sess'), transport: 'stdio', pid: process.pid, cwd: this.context.cwd })
    const snapshots = new SnapshotWriter({ store, warn: (message) => logger.log('warn', message) })
    snapshots.attach(store)
    const server = createMcpServer(ctx, (error) => logger.log('error', `internal error: ${(error as Error)?.stack ?? String(error)}`))
    const transport = new LineStdioTransport(process.stdin, process.stdout)
    transport.onerror = (error) => logger.log('warn', `stdio: ${error.message}`)
    // which client and which protocol revision it settled on: the one place that sees the initialize answer
    const send = transport.send.bind(transport)
    transport.send = async (message) => {
      const version = (message as { result?: { protocolVersion?: unknown } }).result?.protocolVersion
      const client = server.getClientVersion()
      if (typeof version === 'string' && client) logger.log('info', `client ${client.name} ${client.version} speaks MCP ${version}`)
      return send(message)
    }
    const shutdown = shutdownOnce(logger, async () => {
      await endSession(ctx).catch((error) => logger.log('warn', `could not mark the session ended: ${String(error)}`))
      await snapshots.flush()
      store.close()
    })
    process.on('SIGINT', () => shutdown('SIGINT'))
    process.on('SIGTERM', () => shutdown('SIGTERM'))
    process.stdin.on('end', () => shutdown('stdin closed'))
    process.stdin.on('close', () => shutdown('stdin closed'))
    transport.onclose = () => shutdown('transport closed')
    await server.connect(transport)
    logger.log('info', `lockstep-mcp ${settings.serverVersion} serving over stdio (data ${settings.dataDir})`)
    sweepEvery(ctx, () => [ctx.caller.binding?.projectRoot ?? settings.roots[0] ?? ctx.caller.cwd], logger)
    await new Promise(() => undefined)
    return 0
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
