import type { IncomingMessage } from 'node:http'
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js'

const MAX_BODY = 4 * 1024 * 1024

export interface RpcRefusal {
  status: number
  body: { jsonrpc: '2.0'; error: { code: number; message: string }; id: string | number | null }
}

/** Read a request body as JSON; undefined when it is empty, not JSON, or over 4 MiB (the transport then answers). */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) return undefined
    chunks.push(chunk as Buffer)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    return undefined
  }
}

/**
 * The answer to a first message that is not `initialize`. A client that opens with `server/discover` (newer SDKs
 * do, then fall back) is told plainly that the method does not exist here, as a JSON-RPC error for its own id, so
 * it can fall back to `initialize`; any other method is told to initialize first. Undefined for an initialize.
 */
export function refusalBeforeInitialize(body: unknown): RpcRefusal | undefined {
  const messages = Array.isArray(body) ? body : [body]
  const first = messages[0] as { method?: unknown; id?: unknown } | undefined
  if (!first || typeof first !== 'object' || first.method === 'initialize' || typeof first.method !== 'string') return undefined
  const id = typeof first.id === 'string' || typeof first.id === 'number' ? first.id : null
  const versions = `2025-06-18 to ${LATEST_PROTOCOL_VERSION}`
  if (first.method === 'server/discover') {
    return { status: 200, body: { jsonrpc: '2.0', error: { code: -32601, message: `Method not found: server/discover is not supported; send initialize (protocol ${versions}).` }, id } }
  }
  return {
    status: 400,
    body: { jsonrpc: '2.0', error: { code: -32000, message: `Bad Request: ${first.method} needs a session; send initialize first (protocol ${versions}), then use its Mcp-Session-Id.` }, id },
  }
}
