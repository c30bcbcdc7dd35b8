import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { isErrorCode, LockstepError } from '../../lib/errors.js'
import { packageRoot } from '../../lib/launch/dashboard-discovery.js'
import { packageVersion } from '../../lib/core/version.js'

/** The built CLI every child process runs: the same one a client configuration names. */
export function cliPath(): string {
  return join(packageRoot(), 'dist', 'cli.js')
}

/** One scripted agent: a real MCP client of its own `lockstep-mcp server` process, over stdio. */
export class DemoAgent {
  private constructor(
    readonly name: string,
    private readonly client: Client,
    private readonly transport: StdioClientTransport,
  ) {}

  static async start(name: string, options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<DemoAgent> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cliPath(), 'server'],
      cwd: options.cwd,
      env: options.env as Record<string, string>,
      stderr: 'ignore',
    })
    const client = new Client({ name: `lockstep-demo-${name}`, version: packageVersion() })
    await client.connect(transport)
    return new DemoAgent(name, client, transport)
  }

  get pid(): number | null {
    return this.transport.pid
  }

  /** Call a tool; an error result becomes a LockstepError with the tool's code, so the script can expect one. */
  async call(tool: string, args: Record<string, unknown> = {}): Promise<any> {
    const result = (await this.client.callTool({ name: tool, arguments: args }, undefined, { timeout: 120_000 })) as {
      isError?: boolean
      content?: Array<{ text?: string }>
      structuredContent?: { code?: string; message?: string; data?: Record<string, unknown> }
    }
    const text = result.content?.[0]?.text ?? ''
    if (result.isError) {
      const error = result.structuredContent
      if (!isErrorCode(error?.code)) throw new Error(`${tool} failed: ${text}`)
      throw new LockstepError(error.code, `${tool}: ${error.message ?? text}`, error.data ?? {})
    }
    return JSON.parse(text)
  }

  /** Closing stdin ends the server (it marks its session ended and exits within a second). */
  async close(): Promise<void> {
    await this.client.close().catch(() => undefined)
  }
}

/** `lockstep-mcp dashboard` as a child process; resolves with it and the URL it prints. */
export function startDashboardProcess(options: { cwd: string; env: NodeJS.ProcessEnv; port: number; project: string }): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cliPath(), 'dashboard', '--port', String(options.port), '--project', options.project], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk) => (stderr = `${stderr}${chunk}`.slice(-2000)))
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.once('line', (url) => resolve({ child, url: url.trim() }))
    child.once('error', reject)
    child.once('exit', (code) => reject(new LockstepError('UNAVAILABLE', `the dashboard exited with code ${code} before printing its URL: ${stderr.trim()}`)))
  })
}
