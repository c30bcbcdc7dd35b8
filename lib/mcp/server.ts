import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import type { Ctx } from '../state/context.js'
import { callTool, findTool } from './calls.js'
import { isLockstepError, LockstepError } from '../errors.js'
import { MAX_ANSWER_BYTES, MAX_MESSAGE_BYTES } from '../core/limits.js'
import { listedTool } from './listing.js'
import { activeProfile, toolsFor } from './tools.js'

const INSTRUCTIONS =
  'lockstep-mcp coordinates several coding agents on one repository through tasks, file locks, notes and discussions. Call coordination_init first (role planner or implementer), then follow the instruction it returns.'

const LIST_WAIT_MS = 1000

/** Build the MCP server over a session context. `onInternal` receives bugs (logged by the caller, never sent). */
export function createMcpServer(ctx: Ctx, onInternal: (error: unknown) => void): Server {
  const auto = ctx.settings.tools === 'auto'
  const server = new Server({ name: ctx.settings.serverName, version: ctx.settings.serverVersion }, { capabilities: { tools: auto ? { listChanged: true } : {} }, instructions: INSTRUCTIONS })
  const profile = () => activeProfile(ctx.settings, ctx.caller.binding?.role)
  const lists = new Map<string, ReturnType<typeof listedTool>[]>()
  const listFor = (name: ReturnType<typeof profile>) =>
    lists.get(name) ??
    lists
      .set(
        name,
        toolsFor(name).map((tool) => listedTool(tool, name)),
      )
      .get(name)!
  // resolved by the next tools/list: lets the answer to coordination_init wait until the client has the new list
  let listed: (() => void) | undefined
  server.setRequestHandler(ListToolsRequestSchema, async () => {
    listed?.()
    return { tools: listFor(profile()) }
  })
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const client = server.getClientVersion()
    if (client && !ctx.caller.client) ctx.caller.client = { name: client.name, version: client.version }
    let tool
    try {
      tool = findTool(ctx, request.params.name)
    } catch (error) {
      // MCP: an unknown tool is a protocol error (-32602), unlike a known tool's refusal, which the model reads
      const rpc = new McpError(ErrorCode.InvalidParams, '', (error as { data?: unknown }).data)
      // McpError prefixes "MCP error -32602:" to its message; the client adds its own
      rpc.message = (error as Error).message
      throw rpc
    }
    const before = profile()
    const outcome = await callTool({ ...ctx, signal: extra.signal }, tool, request.params.arguments ?? {})
    if (auto && profile() !== before) {
      // a client that follows the notification fetches the list at once; holding the answer until then (at most
      // LIST_WAIT_MS) means the model's next turn already offers the role's tools
      const fetched = new Promise<void>((resolve) => (listed = resolve))
      await server.sendToolListChanged().catch(() => undefined)
      await Promise.race([fetched, new Promise((resolve) => setTimeout(resolve, LIST_WAIT_MS).unref())])
      listed = undefined
    }
    const result = outcome.ok ? toResult(outcome.value, outcome.notices) : toErrorResult(outcome.error, onInternal)
    return withinLimit(result, onInternal)
  })
  return server
}

/** An answer over the transport's cap would end the session on the client's side: refuse it instead. */
export function withinLimit(result: CallToolResult, onInternal: (error: unknown) => void): CallToolResult {
  const bytes = Buffer.byteLength(JSON.stringify(result))
  if (bytes <= MAX_ANSWER_BYTES) return result
  const error = new LockstepError(
    'INVALID_INPUT',
    `The answer would be ${bytes} bytes, over the ${MAX_MESSAGE_BYTES}-byte message limit; ask for less (a smaller limit, maxBytes or maxOutputBytes, or page with offset).`,
    { bytes, limit: MAX_MESSAGE_BYTES },
  )
  return toErrorResult(error, onInternal)
}

function toResult(value: unknown, notices: unknown[]): CallToolResult {
  if (Array.isArray(value)) {
    const content: CallToolResult['content'] = [{ type: 'text', text: JSON.stringify(value) }]
    if (notices.length) content.push({ type: 'text', text: JSON.stringify({ _notices: notices }) })
    return { content }
  }
  const own = (value as { _notices?: unknown[] })._notices ?? []
  const body = notices.length ? { ...(value as object), _notices: [...own, ...notices] } : (value as Record<string, unknown>)
  return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body as Record<string, unknown> }
}

/** The one mapping of errors for MCP: `CODE: message`, then `data: {...}`; bugs become INTERNAL with no detail. */
function toErrorResult(error: unknown, onInternal: (error: unknown) => void): CallToolResult {
  if (isLockstepError(error)) {
    const hasData = Object.keys(error.data).length > 0
    const text = `${error.code}: ${error.message}${hasData ? `\ndata: ${JSON.stringify(error.data)}` : ''}`
    return { isError: true, content: [{ type: 'text', text }], structuredContent: error.toJSON() }
  }
  onInternal(error)
  const body = { code: 'INTERNAL', message: 'An internal error occurred; it was logged. Retry, and report it if it persists.', data: {} }
  return { isError: true, content: [{ type: 'text', text: `INTERNAL: ${body.message}` }], structuredContent: body }
}
