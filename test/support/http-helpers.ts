import { readStored } from './stored.js'
import assert from 'node:assert/strict'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdirSync, readdirSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { CLI } from './mcp-helpers.js'
import { tempDir } from './helpers.js'

// `server --http` as a child process (the built CLI), a client for it, and raw requests with free headers

export type T = Parameters<typeof tempDir>[0]
export const TOKEN = 'test-token-0123456789abcdef'

export async function startHttp(t: T, options: { args?: string[]; env?: Record<string, string> } = {}) {
  const home = tempDir(t)
  const repo = join(home, 'repo')
  mkdirSync(repo)
  const lockstepHome = join(home, 'lh')
  const child = spawn(process.execPath, [CLI, 'server', '--http', '--port', '0', ...(options.args ?? [])], {
    cwd: repo,
    env: { PATH: process.env.PATH, HOME: home, LOCKSTEP_HOME: lockstepHome, ...options.env },
  }) as ChildProcessWithoutNullStreams
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  t.after(() => void child.kill('SIGKILL'))
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })))
  const deadline = Date.now() + 15_000
  let url: string | undefined
  while (!(url = /listening on (http:\/\/\S+\/mcp)/.exec(stderr)?.[1])) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the server did not start; stderr: ${stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const parsed = new URL(url)
  const agentsFile = () => {
    const projects = join(lockstepHome, 'projects')
    return readStored(join(projects, readdirSync(projects)[0]), 'agents')
  }
  return { url, port: Number(parsed.port), lockstepHome, child, exited, agentsFile, stderr: () => stderr }
}

export async function connect(t: T, url: string, token = TOKEN) {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } })
  const client = new Client({ name: 'lockstep-http-test', version: '1.0.0' })
  await client.connect(transport)
  t.after(() => client.close().catch(() => undefined))
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const result = (await client.callTool({ name, arguments: args })) as any
    return result.isError ? { isError: true, code: result.structuredContent?.code as string } : { isError: false, body: JSON.parse(result.content[0].text) }
  }
  const ok = async (name: string, args: Record<string, unknown> = {}) => {
    const reply = await call(name, args)
    assert.equal(reply.isError, false, `${name} failed with ${reply.code}`)
    return reply.body
  }
  return { client, transport, call, ok }
}

/** A raw request, so that Host and Origin can be set freely. */
export function raw(port: number, options: { method?: string; path?: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path ?? '/mcp', headers: options.headers }, (res) => {
      let body = ''
      res.on('data', (chunk) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }))
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

export const INITIALIZE = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })
export const MCP_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' }
