import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { HOST } from '../../storage/host.js'
import type { Ctx, LockstepStore } from '../state/context.js'
import { buildCtx } from '../state/open.js'
import { hostForUrl, isLoopbackHost } from '../core/hosts.js'
import { LockstepError } from '../errors.js'
import { MAX_MESSAGE_BYTES } from '../core/limits.js'
import { newId } from '../core/ids.js'
import { endSession } from '../agents/sessions.js'
import type { Settings } from '../state/settings.js'
import { packageVersion } from '../core/version.js'
import { HttpGuard, tokenFromFile } from './_host-guard.js'
import { admit, DEFAULT_SESSION_CAPS, isIdle, type SessionCaps } from './_session-caps.js'
import { readJsonBody, refusalBeforeInitialize } from './_preinit.js'
import { createMcpServer } from '../mcp/server.js'

const DEFAULT_HTTP_PORT = 8788

/** The `--http` flags as given (undefined when absent). */
export interface HttpFlags {
  host?: string
  port?: string
  token?: string
  allowedHosts?: string
  allowedOrigins?: string
  maxSessions?: string
  maxSessionsPerToken?: string
  sessionIdle?: string
}

export interface HttpOptions {
  host: string
  port: number
  token: string
  /** Set when the token came from `<data>/http-token`. */
  tokenFile?: string
  allowedHosts: string[]
  allowedOrigins: string[]
  /** Whether `host` is reachable beyond this machine. */
  exposed: boolean
  sessionCaps: SessionCaps
}

/**
 * Resolve the `--http` flags (docs/cli.md#over-http). The token is `--token`, else LOCKSTEP_HTTP_TOKEN, else `<data>/http-token`
 * (created if missing). Throws INVALID_INPUT for a bad port or token, or a non-loopback host without allowed hosts.
 */
export function resolveHttpOptions(flags: HttpFlags, env: NodeJS.ProcessEnv, dataDir: string): HttpOptions {
  const list = (value: string | undefined) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)
  const host = flags.host ?? '127.0.0.1'
  const portText = flags.port ?? String(DEFAULT_HTTP_PORT)
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port > 65_535) throw invalid('--port', portText, 'a whole number from 0 to 65535 (0 lets the system pick)')
  if (!host.trim()) throw invalid('--host', host, 'an address to bind, such as 127.0.0.1')
  if (flags.token !== undefined && !/^\S+$/.test(flags.token)) throw invalid('--token', flags.token, 'a non-empty token without spaces')
  const allowedHosts = list(flags.allowedHosts)
  const exposed = !isLoopbackHost(host)
  if (exposed && !allowedHosts.length) {
    throw new LockstepError(
      'INVALID_INPUT',
      `--host ${host} listens beyond loopback and needs --allowed-hosts: list the host names clients use to reach this server (e.g. --allowed-hosts coord.lan:8788).`,
      { flag: '--host', value: host },
    )
  }
  const count = (flag: string, value: string | undefined, fallback: number, max: number) => {
    if (value === undefined) return fallback
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw invalid(flag, value, `a whole number from 1 to ${max}`)
    return Number(value)
  }
  const sessionCaps: SessionCaps = {
    total: count('--max-sessions', flags.maxSessions, DEFAULT_SESSION_CAPS.total, 10_000),
    perToken: count('--max-sessions-per-token', flags.maxSessionsPerToken, DEFAULT_SESSION_CAPS.perToken, 10_000),
    idleMs: count('--session-idle', flags.sessionIdle, DEFAULT_SESSION_CAPS.idleMs / 1000, 86_400) * 1000,
  }
  const fromEnv = env.LOCKSTEP_HTTP_TOKEN?.trim()
  const file = flags.token === undefined && !fromEnv ? tokenFromFile(dataDir) : undefined
  const token = flags.token ?? (fromEnv || file!.token)
  return { host, port, token, ...(file ? { tokenFile: file.file } : {}), allowedHosts, allowedOrigins: list(flags.allowedOrigins), exposed, sessionCaps }
}

export interface HttpServerOptions extends HttpOptions {
  store: LockstepStore
  settings: Settings
  /** The server's working directory: the default project of every session without `--roots`. */
  cwd: string
  log: (level: 'error' | 'warn' | 'info' | 'debug', message: string) => void
}

export interface RunningHttpServer {
  url: string
  port: number
  /** The default project and the projects that open sessions are registered in, for the sweep. */
  projectRoots(): string[]
  /** Close every session (marking it ended) and stop listening. Never rejects. */
  close(): Promise<void>
}

interface McpSession {
  ctx: Ctx
  server: Server
  transport: StreamableHTTPServerTransport
  /** The digest of the bearer token that opened it. */
  token: string
  lastSeen: number
  inFlight: number
  closing?: Promise<void>
}

/**
 * Serve MCP over Streamable HTTP at `/mcp` with stateful sessions: each MCP session gets its own lockstep session
 * (its own Ctx and MCP Server) and is closed once idle longer than `sessionCaps.idleMs`. New sessions beyond the caps
 * are refused with 429 (per token) or 503 (in all) and Retry-After. `GET /healthz` needs no token.
 * Throws UNAVAILABLE when the address cannot be bound.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { store, settings, log, sessionCaps: caps } = options
  const version = packageVersion()
  const sessions = new Map<string, McpSession>()
  // sessions whose initialize is being answered count against the caps too
  const opening = new Set<McpSession>()
  const onInternal = (error: unknown) => log('error', `internal error: ${(error as Error)?.stack ?? String(error)}`)
  // the Host check needs the bound port: until it is known, every request is refused
  let guard: HttpGuard | undefined

  const closeSession = (session: McpSession): Promise<void> =>
    (session.closing ??= (async () => {
      sessions.delete(session.ctx.caller.sessionId)
      opening.delete(session)
      await endSession(session.ctx).catch((error) => log('warn', `could not mark session ${session.ctx.caller.sessionId} ended: ${String(error)}`))
      await session.server.close().catch(() => undefined)
    })())

  const openSession = async (req: IncomingMessage, token: string): Promise<McpSession> => {
    const ctx = buildCtx(store, settings, { sessionId: newId('sess'), transport: 'http', cwd: options.cwd, host: clientHost(req), server: { pid: process.pid, host: HOST } })
    const { caller } = ctx
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => caller.sessionId,
      onsessioninitialized: (id) => {
        opening.delete(session)
        sessions.set(id, session)
      },
      // a DELETE is answered only after the session is marked ended
      onsessionclosed: () => closeSession(session),
      // as on stdio; the SDK's HTTP default is 4 MiB, below the documented content limit once encoded
      maxRequestBodySize: MAX_MESSAGE_BYTES,
    })
    const session: McpSession = { ctx, server: createMcpServer(ctx, onInternal), transport, token, lastSeen: Date.now(), inFlight: 0 }
    opening.add(session)
    session.server.onclose = () => void closeSession(session)
    await session.server.connect(transport)
    return session
  }

  const handleMcp = async (req: IncomingMessage, res: ServerResponse) => {
    const id = req.headers['mcp-session-id']
    if (typeof id === 'string') {
      const session = sessions.get(id)
      if (!session) return sendRpcError(res, 404, -32001, 'Session not found: start a new session (send initialize without Mcp-Session-Id).')
      track(session, res)
      return session.transport.handleRequest(req, res)
    }
    if (req.method !== 'POST') return sendRpcError(res, 400, -32000, 'Bad Request: no Mcp-Session-Id; send initialize first.')
    const body = await readJsonBody(req)
    if (body === undefined) return sendRpcError(res, 400, -32700, 'Parse error: send one JSON-RPC initialize request as JSON (at most 4 MiB).')
    const refusal = refusalBeforeInitialize(body)
    if (refusal) return sendJson(res, refusal.status, refusal.body)
    const token = guard!.tokenKey(req)
    const full = admit([...sessions.values(), ...opening], token, caps, Date.now())
    if (full) {
      res.setHeader('Retry-After', String(full.retryAfterSec))
      const which = full.status === 429 ? `${caps.perToken} sessions for this token` : `${caps.total} sessions in all`
      return sendRpcError(
        res,
        full.status,
        -32000,
        `Too many sessions: this server keeps at most ${which}. Close a session (DELETE /mcp) or retry after ${full.retryAfterSec} s, when idle ones are closed.`,
      )
    }
    const session = await openSession(req, token)
    track(session, res)
    await session.transport.handleRequest(req, res, body)
    // anything but a valid initialize leaves the transport without a session: drop it
    if (!session.transport.sessionId) await closeSession(session)
  }

  const track = (session: McpSession, res: ServerResponse) => {
    session.lastSeen = Date.now()
    session.inFlight++
    res.once('close', () => {
      session.inFlight--
      session.lastSeen = Date.now()
    })
  }

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]
    const healthz = path === '/healthz'
    const refusal = guard ? guard.refusal(req, !healthz) : 403
    if (refusal === 401) res.setHeader('WWW-Authenticate', 'Bearer')
    if (refusal) return sendJson(res, refusal, { error: refusal === 401 ? 'A valid Authorization: Bearer <token> header is required.' : 'Host or Origin not allowed.' })
    if (healthz) return req.method === 'GET' ? sendJson(res, 200, { ok: true, version }) : sendJson(res, 405, { error: 'Use GET.' })
    if (path !== '/mcp') return sendJson(res, 404, { error: 'Not found: the MCP endpoint is /mcp.' })
    return handleMcp(req, res)
  }

  const http = createServer((req, res) => {
    route(req, res).catch((error) => {
      onInternal(error)
      if (!res.headersSent) sendJson(res, 500, { error: 'Internal error; it was logged.' })
      else res.end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.port, options.host, () => {
      http.off('error', reject)
      resolve()
    })
  }).catch((error: NodeJS.ErrnoException) => {
    throw new LockstepError('UNAVAILABLE', `Cannot listen on ${options.host}:${options.port} (${error.code ?? error.message}); pass another --port (0 lets the system pick) or --host.`, {
      host: options.host,
      port: options.port,
    })
  })
  const port = (http.address() as { port: number }).port
  guard = new HttpGuard({ ...options, port })

  const reaper = setInterval(
    () => {
      for (const session of sessions.values()) {
        if (!isIdle(session, caps.idleMs, Date.now())) continue
        log('info', `closing session ${session.ctx.caller.sessionId}: idle for more than ${caps.idleMs / 1000} s`)
        void closeSession(session)
      }
    },
    Math.max(250, Math.min(60_000, caps.idleMs / 4)),
  )
  reaper.unref()

  return {
    url: `http://${hostForUrl(options.host)}:${port}/mcp`,
    port,
    projectRoots: () => [...new Set([settings.roots[0] ?? options.cwd, ...[...sessions.values()].flatMap((session) => session.ctx.caller.binding?.projectRoot ?? [])])],
    async close() {
      clearInterval(reaper)
      await Promise.all([...sessions.values()].map(closeSession))
      await new Promise<void>((resolve) => {
        http.close(() => resolve())
        http.closeAllConnections()
      })
    },
  }
}

/** The session's host: this machine for a loopback client, else the client's address. */
function clientHost(req: IncomingMessage): string {
  const address = req.socket.remoteAddress?.replace(/^::ffff:/, '')
  return !address || isLoopbackHost(address) ? HOST : address
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body))
}

function sendRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null })
}

function invalid(flag: string, value: string, expected: string): LockstepError {
  return new LockstepError('INVALID_INPUT', `${flag} ${JSON.stringify(value)} is not valid: expected ${expected}.`, { flag, value })
}
