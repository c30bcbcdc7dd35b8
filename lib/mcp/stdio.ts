import type { Readable, Writable } from 'node:stream'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import { deserializeMessage, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { MAX_MESSAGE_BYTES } from '../core/limits.js'

const KEEP = 4096

/**
 * MCP over stdin/stdout, one JSON-RPC message per line, like the SDK's StdioServerTransport, except for a line over
 * `maxMessageBytes`: the SDK closes the transport (and the server exits); here the line is skipped without being
 * kept in memory, and its request, when its id can be found at either end, gets INVALID_INPUT.
 */
export class LineStdioTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void
  onerror?: (error: Error) => void
  onclose?: () => void
  private chunks: Buffer[] = []
  private length = 0
  // while skipping an oversized line: its first and last bytes, to find the request's id
  private skipping?: { head: Buffer; tail: Buffer; bytes: number }

  constructor(
    private readonly stdin: Readable,
    private readonly stdout: Writable,
    private readonly maxMessageBytes = MAX_MESSAGE_BYTES,
  ) {}

  async start(): Promise<void> {
    this.stdin.on('data', this.onData)
    this.stdin.on('error', this.onStreamError)
  }

  async close(): Promise<void> {
    this.stdin.off('data', this.onData)
    this.stdin.off('error', this.onStreamError)
    if (this.stdin.listenerCount('data') === 0) this.stdin.pause()
    this.chunks = []
    this.onclose?.()
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      if (this.stdout.write(serializeMessage(message))) resolve()
      else this.stdout.once('drain', resolve)
    })
  }

  private readonly onStreamError = (error: Error) => this.onerror?.(error)

  private readonly onData = (chunk: Buffer) => {
    let rest = chunk
    for (let newline = rest.indexOf(0x0a); newline !== -1; newline = rest.indexOf(0x0a)) {
      this.take(rest.subarray(0, newline))
      this.endLine()
      rest = rest.subarray(newline + 1)
    }
    if (rest.length) this.take(rest)
  }

  private take(part: Buffer): void {
    if (this.skipping) {
      this.skipping.bytes += part.length
      this.skipping.tail = Buffer.concat([this.skipping.tail, part]).subarray(-KEEP)
      return
    }
    this.chunks.push(part)
    this.length += part.length
    if (this.length <= this.maxMessageBytes) return
    const line = Buffer.concat(this.chunks)
    this.skipping = { head: Buffer.from(line.subarray(0, KEEP)), tail: Buffer.from(line.subarray(-KEEP)), bytes: line.length }
    this.chunks = []
    this.length = 0
  }

  private endLine(): void {
    if (this.skipping) {
      const skipped = this.skipping
      this.skipping = undefined
      return void this.refuse(skipped.head.toString('utf8'), skipped.tail.toString('utf8'), skipped.bytes)
    }
    const line = Buffer.concat(this.chunks).toString('utf8').replace(/\r$/, '')
    this.chunks = []
    this.length = 0
    if (!line.trim()) return
    try {
      this.onmessage?.(deserializeMessage(line))
    } catch (error) {
      this.onerror?.(error as Error)
    }
  }

  /** Answer an oversized request with INVALID_INPUT, as a tool error for tools/call. */
  private async refuse(head: string, tail: string, bytes: number): Promise<void> {
    const id = requestId(head, tail)
    const message = `The request is ${bytes} bytes, over the ${this.maxMessageBytes}-byte message limit; send less (file content is limited to 4 MiB: split it into several writes).`
    this.onerror?.(new Error(`skipped a ${bytes}-byte message`))
    if (id === undefined) return
    const data = { code: 'INVALID_INPUT', message, data: { bytes, limit: this.maxMessageBytes } }
    const isToolCall = /"method"\s*:\s*"tools\/call"/.test(head) || /"method"\s*:\s*"tools\/call"/.test(tail)
    const reply: JSONRPCMessage = isToolCall
      ? { jsonrpc: '2.0', id, result: { isError: true, content: [{ type: 'text', text: `INVALID_INPUT: ${message}` }], structuredContent: data } }
      : { jsonrpc: '2.0', id, error: { code: -32600, message, data } }
    await this.send(reply)
  }
}

const ID = String.raw`("(?:[^"\\]|\\.)*"|-?\d+)`

/** The id of a request cut short: the last member before the final `}` (the SDK's order), or the first after `{`. */
function requestId(head: string, tail: string): string | number | undefined {
  const found = new RegExp(String.raw`"id"\s*:\s*${ID}\s*\}\s*$`).exec(tail.replace(/\r$/, '')) ?? new RegExp(String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*${ID}`).exec(head)
  return found ? (JSON.parse(found[1]!) as string | number) : undefined
}
