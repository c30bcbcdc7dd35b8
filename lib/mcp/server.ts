import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { toJsonSchema } from '@valibot/to-json-schema'
import type { Ctx } from '../context.js'
import { callTool } from '../calls.js'
import { isLockstepError, LockstepError } from '../errors.js'
import { MAX_ANSWER_BYTES, MAX_MESSAGE_BYTES } from '../limits.js'
import { toolsFor } from './tools.js'

export const INSTRUCTIONS =
  'lockstep-mcp coordinates several coding agents on one repository through tasks, file locks, notes and discussions. Call coordination_init first (role planner or implementer), then follow the instruction it returns.'

/** Build the MCP server over a session context. `onInternal` receives bugs (logged by the caller, never sent). */
export function createMcpServer(ctx: Ctx, onInternal: (error: unknown) => void): Server {
  const server = new Server(
    { name: ctx.settings.serverName, version: ctx.settings.serverVersion },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS },
  )
  const listed = toolsFor(ctx.settings.tools).map((tool) => ({
    name: tool.name,
    description: tool.description,
    inputSchema: inputSchemaOf(tool.input),
    annotations: { readOnlyHint: Boolean(tool.readOnly), destructiveHint: Boolean(tool.destructive), idempotentHint: Boolean(tool.readOnly), openWorldHint: false },
  }))
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: listed }))
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const client = server.getClientVersion()
    if (client && !ctx.caller.client) ctx.caller.client = { name: client.name, version: client.version }
    const outcome = await callTool({ ...ctx, signal: extra.signal }, request.params.name, request.params.arguments ?? {})
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

function inputSchemaOf(schema: Parameters<typeof toJsonSchema>[0]) {
  const { $schema: _draft, ...json } = toJsonSchema(schema, { errorMode: 'ignore' }) as Record<string, unknown>
  return { ...json, type: 'object' as const }
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
export function toErrorResult(error: unknown, onInternal: (error: unknown) => void): CallToolResult {
  if (isLockstepError(error)) {
    const hasData = Object.keys(error.data).length > 0
    const text = `${error.code}: ${error.message}${hasData ? `\ndata: ${JSON.stringify(error.data)}` : ''}`
    return { isError: true, content: [{ type: 'text', text }], structuredContent: error.toJSON() }
  }
  onInternal(error)
  const body = { code: 'INTERNAL', message: 'An internal error occurred; it was logged. Retry, and report it if it persists.', data: {} }
  return { isError: true, content: [{ type: 'text', text: `INTERNAL: ${body.message}` }], structuredContent: body }
}
