import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, lstatSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server as NetServer, type Socket } from 'node:net'
import { endSession } from '../agents/sessions.js'
import { LockstepError } from '../errors.js'
import { newId } from '../core/ids.js'
import { serveSession, type Log } from '../mcp/session.js'
import { TOOLS } from '../mcp/tools.js'
import { LineStdioTransport } from '../mcp/stdio.js'
import { buildCtx } from '../state/open.js'
import type { Ctx, LockstepStore } from '../state/context.js'
import { resolveSettings, type Settings } from '../state/settings.js'
import { privateDir, probe, type DaemonAddress } from './address.js'
import { MAX_HELLO_BYTES, parseHello, type Control, type Hello } from './hello.js'
import { readLine } from './lines.js'

export interface SharedServerOptions {
  store: LockstepStore
  dataDir: string
  address: DaemonAddress
  version: string
  /** With no session for this long, `onIdle` is called (the process then exits). */
  idleMs: number
  log: Log
  onIdle: () => void
  /** Whether this process also serves an agent of its own (the first agent's server), beside the relayed ones. */
  ownSession: boolean
  /** Run as an agent leaves, before its relay is let go (the checked-in snapshot is written then, as a server's exit would). */
  onSessionEnd?: () => Promise<void>
}

export interface SharedServer {
  /** The project roots of the live sessions, for the sweep. */
  roots(): string[]
  /**
   * Stop listening, and let every connection go once it has no request in progress (at most `ms`), without ending the
   * sessions: their relays resume them on the next shared server, with nothing to answer UNAVAILABLE.
   */
  handOver(ms: number): Promise<void>
}

const HELLO_MS = 5000
/** How long a stopping shared server waits for the requests in progress before it lets their connections go. */
export const HAND_OVER_MS = 600
const CHECK_MS = 2000

/**
 * The shared server: one process per data folder and build, serving every agent's MCP session that its relay
 * (`lockstep-mcp server`) passes on over a local socket. One process applies each commit once, keeps one warm
 * copy of the code, and gathers the fdatasyncs of commits that queue behind each other.
 */
export async function startSharedServer(options: SharedServerOptions): Promise<SharedServer> {
  const { address, log } = options
  const sessions = new Map<Socket, Session>()
  const token = randomBytes(24).toString('hex')
  let idleTimer: NodeJS.Timeout | undefined
  let closed = false
  const armIdle = () => {
    // serving several agents, a commit's fdatasync leaves the event loop: another's request may be on its way
    options.store.syncInline = sessions.size + (options.ownSession ? 1 : 0) <= 1
    clearTimeout(idleTimer)
    if (sessions.size === 0) idleTimer = setTimeout(options.onIdle, options.idleMs)
  }
  const listener = createServer({ allowHalfOpen: true }, (socket) => {
    clearTimeout(idleTimer)
    void accept(socket).catch((error) => {
      log('warn', `shared server: a connection failed: ${String(error)}`)
      socket.destroy()
      armIdle()
    })
  })

  const accept = async (socket: Socket) => {
    // a relay may go at any moment, even before its hello: a write to it must not end this process
    socket.on('error', (error) => log('debug', `connection: ${error.message}`))
    socket.setNoDelay(true)
    const { line, rest } = await readLine(socket, MAX_HELLO_BYTES, HELLO_MS)
    const hello = line === undefined ? undefined : parseHello(line)
    const admitted = hello ? admit(hello) : { code: 'INVALID_INPUT', message: 'The first line must be a lockstep hello.' }
    if (!hello || 'code' in admitted) {
      const refused: Control = { lockstep: 'refused', code: 'code' in admitted ? admitted.code : 'INVALID_INPUT', message: 'code' in admitted ? admitted.message : '' }
      socket.end(JSON.stringify(refused) + '\n')
      armIdle()
      return
    }
    const { settings } = admitted
    const sessionId = hello.resume?.sessionId ?? newId('sess')
    const ctx = buildCtx(options.store, settings, {
      sessionId,
      transport: 'stdio',
      pid: hello.pid,
      cwd: hello.cwd,
      env: hello.env,
      ...(hello.resume?.binding ? { binding: hello.resume.binding } : {}),
    })
    const session: Session = { ctx, inFlight: new Map() }
    sessions.set(socket, session)
    armIdle()
    if (rest.length) socket.unshift(rest)
    socket.write(JSON.stringify({ lockstep: 'ready', sessionId } satisfies Control) + '\n')
    let told = ctx.caller.binding
    const transport = new LineStdioTransport(socket, socket)
    // the relay keeps the session's registration, to resume it if this process goes
    const server = await serveSession(ctx, transport, log, (message) => {
      // the answer is written right after this: a connection being let go ends once it is
      if ('id' in message && ('result' in message || 'error' in message) && session.inFlight.delete(idKey(message.id)) && !session.inFlight.size && session.idle) setImmediate(session.idle)
      if (ctx.caller.binding === told || !ctx.caller.binding) return
      told = ctx.caller.binding
      socket.write(JSON.stringify({ lockstep: 'session', binding: told } satisfies Control) + '\n')
    })
    const deliver = transport.onmessage
    transport.onmessage = (message) => {
      if ('method' in message && 'id' in message) session.inFlight.set(idKey(message.id), { id: message.id, again: repeatable(message) })
      // a cancelled request gets no answer: it is not in progress any more
      if ('method' in message && message.method === 'notifications/cancelled') session.inFlight.delete(idKey((message.params as { requestId?: unknown } | undefined)?.requestId))
      deliver?.(message)
    }
    socket.resume()
    log('info', `session ${sessionId} of pid ${hello.pid}${hello.resume ? ' resumed' : ''}`)
    let ended: Promise<void> | undefined
    const end = () =>
      (ended ??= (async () => {
        // a relay's end of input is its agent leaving; a connection cut by our own shutdown is not
        if (!closed) {
          await endSession(ctx).catch((error) => log('warn', `could not mark session ${sessionId} ended: ${String(error)}`))
          await options.onSessionEnd?.()
        }
        await server.close().catch(() => undefined)
      })())
    socket.on('end', () => void end().finally(() => socket.end()))
    socket.on('close', () => {
      void end().finally(() => {
        sessions.delete(socket)
        armIdle()
      })
    })
  }

  /** The session's settings, or why it is refused: another token, version or data folder, or settings that do not resolve. */
  const admit = (hello: Hello): { settings: Settings } | { code: string; message: string } => {
    const given = Buffer.from(hello.token)
    const mine = Buffer.from(token)
    if (given.length !== mine.length || !timingSafeEqual(given, mine)) return { code: 'FORBIDDEN', message: `The token does not match ${address.tokenFile}; read it again.` }
    if (hello.version !== options.version) return { code: 'CONFLICT', message: `This shared server runs lockstep-mcp ${options.version}, not ${hello.version}.` }
    try {
      const { settings } = resolveSettings(hello.flags, hello.env, hello.cwd, options.version)
      if (settings.dataDir !== options.dataDir) return { code: 'CONFLICT', message: `This shared server serves the data folder ${options.dataDir}, not ${settings.dataDir}.` }
      return { settings }
    } catch (error) {
      return { code: error instanceof LockstepError ? error.code : 'INVALID_INPUT', message: (error as Error).message }
    }
  }

  if (!privateDir(address.runDir) || !privateDir(address.socketDir)) {
    throw new LockstepError('FORBIDDEN', `${address.socketDir} is not this user's alone (mode 0700, owned by this user); agents are served in their own processes.`, { folder: address.socketDir })
  }
  await listen(listener, address.socketPath)
  if (process.platform !== 'win32') chmodSync(address.socketPath, 0o600)
  const ino = process.platform === 'win32' ? 0 : lstatSync(address.socketPath).ino
  const tmp = `${address.tokenFile}.${process.pid}.tmp`
  writeFileSync(tmp, token, { mode: 0o600 })
  renameSync(tmp, address.tokenFile)
  rmSync(address.startingFile, { force: true })
  armIdle()

  // another process took the address (its socket file replaced ours, or the folder went): take no new sessions
  const check = setInterval(() => {
    if (process.platform === 'win32' || closed) return
    const now = lstatSync(address.socketPath, { throwIfNoEntry: false })
    if (now?.ino === ino) return
    listener.close()
    if (sessions.size === 0) options.onIdle()
  }, CHECK_MS).unref()

  return {
    roots: () => [...sessions.values()].map(({ ctx }) => ctx.caller.binding?.projectRoot ?? ctx.settings.roots[0] ?? ctx.caller.cwd),
    async handOver(ms) {
      closed = true
      clearInterval(check)
      clearTimeout(idleTimer)
      listener.close()
      if (process.platform !== 'win32' && lstatSync(address.socketPath, { throwIfNoEntry: false })?.ino === ino) {
        rmSync(address.socketPath, { force: true })
        rmSync(address.tokenFile, { force: true })
      }
      const quiet = [...sessions].map(
        ([socket, session]) =>
          new Promise<void>((resolve) => {
            socket.once('close', () => resolve())
            // calls that change nothing are sent again by the relay to the next server instead of waited for
            const again = [...session.inFlight.values()].filter((call) => call.again)
            if (again.length) socket.write(JSON.stringify({ lockstep: 'again', ids: again.map((call) => call.id) } satisfies Control) + '\n')
            for (const call of again) session.inFlight.delete(idKey(call.id))
            if (!session.inFlight.size) socket.end()
            else session.idle = () => socket.end()
          }),
      )
      await Promise.race([Promise.all(quiet), new Promise((resolve) => setTimeout(resolve, ms).unref())])
      for (const socket of sessions.keys()) socket.destroy()
    },
  }
}

interface Session {
  ctx: Ctx
  /** Requests not answered yet, by id; `again`: safe to send again to another server (it changes nothing). */
  inFlight: Map<string, { id: string | number; again: boolean }>
  idle?: () => void
}

function idKey(id: unknown): string {
  return typeof id === 'string' ? `s${id}` : `n${String(id)}`
}

/** A request that changes nothing: a tool the table marks read-only (events_wait, the lists), or not a tool call. */
function repeatable(message: { method: string; params?: unknown }): boolean {
  if (message.method !== 'tools/call') return true
  const name = (message.params as { name?: unknown } | undefined)?.name
  return TOOLS.some((tool) => tool.name === name && tool.readOnly === true)
}

/** Listen on the address; a socket file left by a dead process is replaced, one held by a live server is not. */
async function listen(listener: NetServer, path: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      listener.once('error', resolve)
      listener.listen(path, () => {
        listener.off('error', resolve)
        resolve(undefined)
      })
    })
    if (!error) return
    if (error.code !== 'EADDRINUSE' || attempt > 0 || process.platform === 'win32' || (await probe(path)) !== 'ECONNREFUSED') {
      throw new LockstepError('CONFLICT', `Cannot listen on ${path} (${error.code ?? error.message}): another shared server may serve it.`, { path })
    }
    rmSync(path, { force: true })
  }
}
