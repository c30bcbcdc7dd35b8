import type { Socket } from 'node:net'

/**
 * Read the first line of a connection (paused afterwards), with what came after it. Undefined line: the connection
 * ended, sent more than `maxBytes` without a newline, or sent nothing for `timeoutMs`.
 */
export function readLine(socket: Socket, maxBytes: number, timeoutMs: number): Promise<{ line?: string; rest: Buffer }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let length = 0
    const finish = (line: string | undefined, rest: Buffer) => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('end', onEnd)
      socket.off('close', onEnd)
      socket.off('error', onEnd)
      socket.pause()
      resolve(line === undefined ? { rest } : { line, rest })
    }
    const onData = (chunk: Buffer) => {
      const newline = chunk.indexOf(0x0a)
      if (newline === -1) {
        chunks.push(chunk)
        length += chunk.length
        if (length > maxBytes) finish(undefined, Buffer.alloc(0))
        return
      }
      chunks.push(chunk.subarray(0, newline))
      finish(Buffer.concat(chunks).toString('utf8'), chunk.subarray(newline + 1))
    }
    const onEnd = () => finish(undefined, Buffer.alloc(0))
    const timer = setTimeout(onEnd, timeoutMs)
    socket.on('data', onData)
    socket.once('end', onEnd)
    socket.once('close', onEnd)
    socket.once('error', onEnd)
  })
}

/**
 * Splits a byte stream into lines, each with its newline. A line longer than `maxBytes` is not kept: its bytes go to
 * `onOversized` as they come (the last call with `done`), so that the far side can refuse it.
 */
export class LineSplitter {
  private chunks: Buffer[] = []
  private length = 0
  private oversized = false

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: Buffer) => void,
    private readonly onOversized: (part: Buffer, done: boolean) => void,
  ) {}

  push(chunk: Buffer): void {
    let rest = chunk
    for (let newline = rest.indexOf(0x0a); newline !== -1; newline = rest.indexOf(0x0a)) {
      const part = rest.subarray(0, newline + 1)
      rest = rest.subarray(newline + 1)
      if (this.oversized) {
        this.oversized = false
        this.onOversized(part, true)
        continue
      }
      if (this.length === 0) {
        this.onLine(part)
        continue
      }
      this.chunks.push(part)
      const line = Buffer.concat(this.chunks)
      this.chunks = []
      this.length = 0
      this.onLine(line)
    }
    if (!rest.length) return
    if (this.oversized) return this.onOversized(rest, false)
    this.chunks.push(Buffer.from(rest))
    this.length += rest.length
    if (this.length <= this.maxBytes) return
    this.oversized = true
    const held = Buffer.concat(this.chunks)
    this.chunks = []
    this.length = 0
    this.onOversized(held, false)
  }
}
