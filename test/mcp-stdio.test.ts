import { readStored } from './support/stored.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js'
import { CLI } from './support/mcp-helpers.js'
import { tempDir } from './support/helpers.js'

function startRaw(t: Parameters<typeof tempDir>[0], extraArgs: string[] = []) {
  const home = tempDir(t)
  const repo = join(home, 'repo')
  mkdirSync(repo)
  const child = spawn(process.execPath, [CLI, 'server', ...extraArgs], { cwd: repo, env: { PATH: process.env.PATH, HOME: home, LOCKSTEP_HOME: join(home, 'lh') } }) as ChildProcessWithoutNullStreams
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  t.after(() => void child.kill('SIGKILL'))
  const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })))
  const waitFor = async (id: number) => {
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline) {
      const line = stdout.split('\n').find((item) => item.includes(`"id":${id}`))
      if (line) return JSON.parse(line)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    throw new Error(`no reply ${id}; stderr: ${stderr}`)
  }
  const initialize = async () => {
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })
    await waitFor(1)
    send({ jsonrpc: '2.0', method: 'notifications/initialized' })
  }
  return { child, home, send, waitFor, initialize, exited, out: () => stdout, err: () => stderr }
}

test('stdout carries only JSON-RPC; logs go to stderr', { timeout: 60_000 }, async (t) => {
  const server = startRaw(t, ['--log-level', 'debug', '--storage', 'sqlite'])
  await server.initialize()
  server.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' })
  server.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'coordination_init', arguments: { role: 'planner' } } })
  await server.waitFor(3)
  server.send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'task_claim', arguments: { id: 'task-missing' } } })
  server.send({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'no_such_tool', arguments: {} } })
  const reply4 = await server.waitFor(4)
  assert.equal(reply4.result.isError, true)
  assert.match(reply4.result.content[0].text, /^NOT_FOUND: /)
  await server.waitFor(5)
  for (const line of server.out().trim().split('\n')) assert.equal(JSON.parse(line).jsonrpc, '2.0', line)
  assert.match(server.err(), /ignored/, 'the legacy --storage flag is accepted with a warning on stderr')
})

for (const [how, stop] of [
  ['SIGTERM', (child: ChildProcessWithoutNullStreams) => child.kill('SIGTERM')],
  ['SIGINT', (child: ChildProcessWithoutNullStreams) => child.kill('SIGINT')],
  ['the end of stdin', (child: ChildProcessWithoutNullStreams) => child.stdin.end()],
] as const) {
  test(`the server exits within 1 s of ${how} and marks its session ended`, { timeout: 60_000 }, async (t) => {
    const server = startRaw(t)
    await server.initialize()
    server.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'coordination_init', arguments: { role: 'planner' } } })
    await server.waitFor(2)
    const sent = Date.now()
    stop(server.child)
    const { at } = await server.exited
    assert.ok(at - sent < 1000, `exited after ${at - sent} ms`)
    const projects = join(server.home, 'lh', 'projects')
    const agents = await readStored(join(projects, readdirSync(projects)[0]), 'agents')
    assert.ok(agents.sessions[0].endedAt, 'session marked ended')
  })
}

for (const version of ['2025-06-18', LATEST_PROTOCOL_VERSION]) {
  test(`a client speaking protocol ${version} is answered in it and can list and call tools`, { timeout: 60_000 }, async (t) => {
    const server = startRaw(t)
    server.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })
    assert.equal((await server.waitFor(1)).result.protocolVersion, version)
    server.send({ jsonrpc: '2.0', method: 'notifications/initialized' })
    server.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' })
    assert.equal((await server.waitFor(2)).result.tools.length, 45)
    server.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'coordination_init', arguments: { role: 'planner' } } })
    assert.equal((await server.waitFor(3)).result.isError, undefined)
  })
}

test('protocol errors: server/discover is method-not-found, an unknown tool is -32602 naming the nearest, bad arguments stay a tool result', { timeout: 60_000 }, async (t) => {
  const server = startRaw(t)
  server.send({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: {} })
  assert.equal((await server.waitFor(1)).error.code, -32601)
  await server.initialize()
  server.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'task_claimm', arguments: {} } })
  const unknown = await server.waitFor(2)
  assert.equal(unknown.error.code, -32602)
  assert.equal(unknown.error.data.tool, 'task_claimm')
  assert.ok(unknown.error.data.nearest.includes('task_claim'))
  server.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'task_claim', arguments: { id: 7 } } })
  const invalid = await server.waitFor(3)
  assert.equal(invalid.result.isError, true)
  assert.equal(invalid.result.structuredContent.code, 'INVALID_INPUT')
})
