import { readFileSync } from 'node:fs'
import { createConnection, type Socket } from 'node:net'
import type { Readable, Writable } from 'node:stream'
import { MAX_MESSAGE_BYTES } from '../core/limits.js'
import type { Log } from '../mcp/session.js'
import type { Binding } from '../state/context.js'
import type { DaemonAddress } from './address.js'
import type { Control, Hello } from './hello.js'
import { LineSplitter, readLine } from './lines.js'
import { answerId, oversizedAnswer, readClientLine, unansweredCall, unavailableRequest, type Id } from './relay-track.js'

export interface RelayOptions {
  stdin: Readable
  stdout: Writable
  address: DaemonAddress
  hello: Omit<Hello, 'lockstep' | 'token' | 'resume'>
  /**
   * Start a shared server in the background; `failed()` tells whether it has already exited with an error. Undefined
   * when another process is starting one (asked again on the next try, in case that one died).
   */
  startSharedServer: () => { failed(): boolean } | undefined
  log: Log
  /** How long to try to reach a shared server, one started now included (default 10 s). */
  connectMs?: number
}

const BYE_MS = 700
// a shared server lost this often within a minute is not started again: the relay gives up
const MAX_LOSSES = 5

/**
 * `lockstep-mcp server` as most agents run it: a relay of its stdio to the shared server of its data folder, started
 * on first use. It keeps what it needs to resume the session if the shared server goes: the registration, the
 * client's initialize, and the requests not yet answered (a tool call among them is answered UNAVAILABLE, since it
 * may have taken effect; anything else is sent again).
 */
export class Relay {
  private socket: Socket | undefined
  private sessionId: string | undefined
  private binding: Binding | undefined
  private pending: Buffer[] = []
  private readonly inFlight = new Map<string, { id: Id; method: string; line: Buffer }>()
  /** Requests the server gave back as it went (they change nothing): sent again to the next one, unless answered first. */
  private readonly again = new Map<string, Buffer>()
  private initialize: { id: Id; line: Buffer; answered: boolean } | undefined
  private initialized: Buffer | undefined
  private initializedSent = false
  private swallow: string | undefined
  private stopping = false
  private losses: number[] = []
  private finish: (code: number) => void = () => undefined
  private oversized: { head: Buffer; tail: Buffer; bytes: number } | undefined
  private readonly fromClient = new LineSplitter(
    MAX_MESSAGE_BYTES,
    (line) => this.clientLine(line),
    (part, done) => this.refuseOversized(part, done),
  )

  constructor(private readonly options: RelayOptions) {}

  /** Relay until the client leaves (0) or no shared server can be had (1); 'unavailable' if none answered at first. */
  async run(): Promise<number | 'unavailable'> {
    const finished = new Promise<number>((resolve) => (this.finish = resolve))
    const first = await this.connect(undefined)
    // told to stop while connecting (a signal): leave without a session
    if (this.stopping) {
      first?.socket.destroy()
      return 0
    }
    if (!first) return 'unavailable'
    const { stdin } = this.options
    stdin.on('data', (chunk: Buffer) => this.fromClient.push(chunk))
    stdin.once('end', () => this.stop())
    stdin.once('close', () => this.stop())
    this.attach(first.socket, first.rest)
    return finished
  }

  /** The client is gone: end the connection, which ends the session, and wait for that within BYE_MS. */
  stop(): void {
    if (this.stopping) return
    this.stopping = true
    const socket = this.socket
    if (!socket) return this.finish(0)
    setTimeout(() => this.finish(0), BYE_MS).unref()
    socket.once('close', () => this.finish(0))
    socket.end()
  }

  private attach(socket: Socket, rest: Buffer): void {
    this.socket = socket
    const fromServer = new LineSplitter(
      MAX_MESSAGE_BYTES,
      (line) => this.serverLine(line),
      (part) => this.toClient(part),
    )
    socket.on('data', (chunk: Buffer) => fromServer.push(chunk))
    socket.on('error', (error) => this.options.log('debug', `shared server connection: ${error.message}`))
    socket.once('close', () => void this.lost(socket))
    if (rest.length) fromServer.push(rest)
    socket.resume()
    // a pause for the lost connection's drain would never end
    this.options.stdin.resume()
    const pending = this.pending
    this.pending = []
    for (const line of pending) this.send(line)
  }

  private clientLine(line: Buffer): void {
    if (this.socket) return this.send(line)
    this.pending.push(Buffer.from(line))
  }

  private send(line: Buffer, replay = false): void {
    const { id, method } = readClientLine(line)
    if (!replay && method === 'initialize' && id !== undefined) this.initialize = { id, line: Buffer.from(line), answered: false }
    if (method === 'notifications/initialized') {
      this.initialized = Buffer.from(line)
      this.initializedSent = true
    }
    if (!replay && id !== undefined && method) this.inFlight.set(key(id), { id, method, line: Buffer.from(line) })
    this.write(line)
  }

  private write(bytes: Buffer): void {
    const socket = this.socket!
    if (socket.write(bytes)) return
    this.options.stdin.pause()
    socket.once('drain', () => this.options.stdin.resume())
  }

  /** A line over the message limit is refused here, by the id at either of its ends; it is never passed on. */
  private refuseOversized(part: Buffer, done: boolean): void {
    const seen = (this.oversized ??= { head: Buffer.from(part.subarray(0, 4096)), tail: Buffer.alloc(0), bytes: 0 })
    seen.bytes += part.length
    seen.tail = Buffer.concat([seen.tail, part]).subarray(-4096)
    if (!done) return
    this.oversized = undefined
    const { id, method } = readClientLine(Buffer.concat([seen.head, Buffer.from('\n'), seen.tail]))
    this.options.log('warn', `refused a ${seen.bytes}-byte message`)
    if (id !== undefined) this.toClient(Buffer.from(oversizedAnswer(id, method, seen.bytes - 1, MAX_MESSAGE_BYTES) + '\n'))
  }

  private serverLine(line: Buffer): void {
    if (line.subarray(0, 12).toString('latin1') === '{"lockstep":') {
      const control = parseControl(line.toString('utf8'))
      if (control?.lockstep === 'session') this.binding = control.binding
      if (control?.lockstep === 'again') {
        for (const id of control.ids) {
          const request = this.inFlight.get(key(id))
          if (!request) continue
          this.inFlight.delete(key(id))
          this.again.set(key(id), request.line)
        }
      }
      return
    }
    if (this.inFlight.size || this.again.size || this.swallow !== undefined) {
      const id = answerId(line)
      if (id !== undefined) {
        const answered = key(id)
        this.inFlight.delete(answered)
        this.again.delete(answered)
        if (this.initialize && answered === key(this.initialize.id)) this.initialize.answered = true
        if (answered === this.swallow) {
          this.swallow = undefined
          return
        }
      }
    }
    this.toClient(line)
  }

  private toClient(bytes: Buffer): void {
    if (this.options.stdout.write(bytes)) return
    this.socket?.pause()
    this.options.stdout.once('drain', () => this.socket?.resume())
  }

  /** The shared server went: answer or keep what it had not answered, and resume the session on another. */
  private async lost(socket: Socket): Promise<void> {
    if (this.socket !== socket) return
    this.socket = undefined
    if (this.stopping) return this.finish(0)
    const now = Date.now()
    this.losses = [...this.losses.filter((at) => now - at < 60_000), now]
    this.options.log('warn', `the shared server's connection closed with ${this.inFlight.size} request(s) unanswered; resuming session ${this.sessionId}`)
    // given back, or changing nothing: sent again; a tool call that may have taken effect: answered UNAVAILABLE
    const again = [...this.again.values()]
    this.again.clear()
    for (const request of this.inFlight.values()) {
      if (request.method !== 'tools/call') again.push(request.line)
      else this.toClient(Buffer.from(unansweredCall(request.id) + '\n'))
    }
    this.inFlight.clear()
    const replay = this.initialize?.answered ? [this.initialize.line, ...(this.initializedSent && this.initialized ? [this.initialized] : [])] : []
    this.pending = [...again, ...this.pending]
    const next = this.losses.length <= MAX_LOSSES ? await this.connect({ sessionId: this.sessionId!, ...(this.binding ? { binding: this.binding } : {}) }) : undefined
    if (this.stopping) {
      next?.socket.destroy()
      return this.finish(0)
    }
    if (!next) return this.giveUp()
    if (replay.length) this.swallow = key(this.initialize!.id)
    this.socket = next.socket
    for (const line of replay) this.send(line, true)
    this.attach(next.socket, next.rest)
  }

  private giveUp(): void {
    this.options.log('error', 'no shared server could be reached again; ending this session (the client may restart the server)')
    for (const line of this.pending) {
      const { id, method } = readClientLine(line)
      if (id !== undefined && method) this.toClient(Buffer.from(unavailableRequest(id, 'its shared server stopped and could not be started again') + '\n'))
    }
    this.pending = []
    this.finish(1)
  }

  private async connect(resume: Hello['resume']): Promise<{ socket: Socket; rest: Buffer } | undefined> {
    const { address, log } = this.options
    const deadline = Date.now() + (this.options.connectMs ?? 10_000)
    let started: { failed(): boolean } | undefined
    let waited = false
    for (;;) {
      const opened = await open(address.socketPath)
      if (opened.socket) {
        const token = readToken(address.tokenFile)
        if (token !== undefined) {
          const hello: Hello = { lockstep: 'hello', token, ...this.options.hello, ...(resume ? { resume } : {}) }
          opened.socket.write(JSON.stringify(hello) + '\n')
          const { line, rest } = await readLine(opened.socket, 64 * 1024, 5000)
          const control = line === undefined ? undefined : parseControl(line)
          if (control?.lockstep === 'ready') {
            this.sessionId = control.sessionId
            opened.socket.setNoDelay(true)
            return { socket: opened.socket, rest }
          }
          if (control?.lockstep === 'refused' && control.code !== 'FORBIDDEN') {
            opened.socket.destroy()
            log('warn', `the shared server refused this session: ${control.code}: ${control.message}`)
            return undefined
          }
        }
        opened.socket.destroy()
      } else if (opened.code === 'ENOENT' || opened.code === 'ECONNREFUSED') {
        started ??= this.options.startSharedServer()
        waited = true
      } else {
        log('warn', `cannot reach the shared server at ${address.socketPath}: ${opened.code}`)
        return undefined
      }
      if (this.stopping || Date.now() > deadline || started?.failed()) return undefined
      await new Promise((resolve) => setTimeout(resolve, waited ? 10 : 25))
    }
  }
}

function open(path: string): Promise<{ socket?: Socket; code?: string }> {
  return new Promise((resolve) => {
    const socket = createConnection(path)
    socket.once('connect', () => {
      socket.removeAllListeners('error')
      // until the relay listens for its errors, one must not end the process
      socket.on('error', () => undefined)
      resolve({ socket })
    })
    socket.once('error', (error: NodeJS.ErrnoException) => resolve({ code: error.code ?? error.message }))
  })
}

function readToken(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}

function parseControl(line: string): Control | undefined {
  try {
    const parsed = JSON.parse(line) as Control
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined
  } catch {
    return undefined
  }
}

function key(id: Id): string {
  return typeof id === 'string' ? `s${id}` : `n${id}`
}
