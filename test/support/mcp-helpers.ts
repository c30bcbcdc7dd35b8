import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { join } from 'node:path'
import { ROOT } from './helpers.js'

export const CLI = join(ROOT, 'dist', 'cli.js')

export interface ToolReply {
  isError: boolean
  code?: string
  /** The parsed JSON of the first text block (the error's structuredContent when isError). */
  body: any
  notices: any[]
  text: string
}

export interface McpAgent {
  client: Client
  transport: StdioClientTransport
  pid: number
  call(name: string, args?: Record<string, unknown>): Promise<ToolReply>
  /** Call and fail the test on an error result. */
  ok(name: string, args?: Record<string, unknown>): Promise<any>
  close(): Promise<void>
}

/** Start `lockstep-mcp server` (the built CLI) as a child process and connect the SDK client over stdio. */
export async function startAgent(
  t: { after: (fn: () => Promise<void> | void) => void },
  options: { home: string; cwd: string; args?: string[]; env?: Record<string, string>; clientName?: string },
): Promise<McpAgent> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'server', ...(options.args ?? [])],
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: options.home, LOCKSTEP_HOME: join(options.home, '.lockstep-mcp'), ...options.env },
    stderr: 'pipe',
  })
  const client = new Client({ name: options.clientName ?? 'lockstep-test', version: '1.0.0' })
  await client.connect(transport)
  const call = async (name: string, args: Record<string, unknown> = {}): Promise<ToolReply> => {
    const result = (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as any
    const text = result.content?.[0]?.text ?? ''
    const notices = result.content?.[1] ? JSON.parse(result.content[1].text)._notices : (result.structuredContent?._notices ?? [])
    if (result.isError) return { isError: true, code: result.structuredContent?.code, body: result.structuredContent, notices, text }
    return { isError: false, body: JSON.parse(text), notices, text }
  }
  const agent: McpAgent = {
    client,
    transport,
    pid: transport.pid!,
    call,
    async ok(name, args) {
      const reply = await call(name, args)
      if (reply.isError) throw new Error(`${name} failed: ${reply.text}`)
      return reply.body
    },
    async close() {
      await client.close().catch(() => undefined)
    },
  }
  t.after(() => agent.close())
  return agent
}
