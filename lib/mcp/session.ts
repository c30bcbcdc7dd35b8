import type { Server } from '@modelcontextprotocol/sdk/server/index.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import type { Ctx } from '../state/context.js'
import { createMcpServer } from './server.js'
import type { LineStdioTransport } from './stdio.js'

export type Log = (level: 'error' | 'warn' | 'info' | 'debug', message: string) => void

/**
 * One MCP session over a line transport (a stdio server's, or one relay's connection to the shared server). `before`
 * runs ahead of every message the server sends, and may write first.
 */
export async function serveSession(ctx: Ctx, transport: LineStdioTransport, log: Log, before?: (message: JSONRPCMessage) => void): Promise<Server> {
  const server = createMcpServer(ctx, (error) => log('error', `internal error: ${(error as Error)?.stack ?? String(error)}`))
  transport.onerror = (error) => log('warn', `stdio: ${error.message}`)
  const send = transport.send.bind(transport)
  transport.send = async (message) => {
    // which client and which protocol revision it settled on: the one place that sees the initialize answer
    const version = (message as { result?: { protocolVersion?: unknown } }).result?.protocolVersion
    const client = server.getClientVersion()
    if (typeof version === 'string' && client) log('info', `session ${ctx.caller.sessionId}: client ${client.name} ${client.version} speaks MCP ${version}`)
    before?.(message)
    return send(message)
  }
  await server.connect(transport)
  return server
}
