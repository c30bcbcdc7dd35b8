import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { CLI } from './support/mcp-helpers.js'
import { runNode, tempDir } from './support/helpers.js'
import { connect, INITIALIZE, MCP_HEADERS, raw, startHttp, TOKEN } from './support/http-helpers.js'

test('each MCP session of server --http is its own lockstep session, and a claim race between them has one winner', { timeout: 60_000 }, async (t) => {
  const server = await startHttp(t, { args: ['--token', TOKEN] })
  const planner = await connect(t, server.url)
  const initPlanner = await planner.ok('coordination_init', { role: 'planner' })
  const implementers = await Promise.all([connect(t, server.url), connect(t, server.url)])
  const inits = await Promise.all(implementers.map((agent) => agent.ok('coordination_init', { role: 'implementer' })))
  assert.equal(initPlanner.role, 'planner')
  assert.deepEqual(
    inits.map((init) => init.role),
    ['implementer', 'implementer'],
  )
  assert.equal(new Set([initPlanner, ...inits].map((init) => init.agent.name)).size, 3)
  assert.equal((await planner.ok('status_get')).config.transport, 'http')

  const task = await planner.ok('task_create', { title: 'Race', complexity: 'simple', files: ['src/race.ts'] })
  const replies = await Promise.all(implementers.map((agent) => agent.call('task_claim', { id: task.id })))
  assert.equal(replies.filter((reply) => !reply.isError).length, 1)
  assert.deepEqual(
    replies.filter((reply) => reply.isError).map((reply) => reply.code),
    ['CONFLICT'],
  )

  const sessions = (await server.agentsFile()).sessions
  assert.equal(sessions.length, 3)
  assert.equal(new Set(sessions.map((session: any) => session.id)).size, 3)
  assert.ok(sessions.every((session: any) => session.transport === 'http' && session.pid === undefined))
  assert.ok(
    implementers.every((agent) => sessions.some((session: any) => session.id === agent.transport.sessionId)),
    'the MCP session id is the lockstep session id',
  )
})

test('closing an MCP session marks its lockstep session ended and forgets its id', { timeout: 60_000 }, async (t) => {
  const server = await startHttp(t, { args: ['--token', TOKEN] })
  const agent = await connect(t, server.url)
  await agent.ok('coordination_init', { role: 'implementer' })
  const id = agent.transport.sessionId!
  await agent.transport.terminateSession()
  assert.ok((await server.agentsFile()).sessions.find((session) => session.id === id)!.endedAt)
  const again = await raw(server.port, {
    method: 'POST',
    headers: { ...MCP_HEADERS, Authorization: `Bearer ${TOKEN}`, 'Mcp-Session-Id': id },
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
  })
  assert.equal(again.status, 404)
})

test('a missing or wrong token gets 401, and /healthz answers without one', { timeout: 60_000 }, async (t) => {
  const server = await startHttp(t, { args: ['--token', TOKEN] })
  const none = await raw(server.port, { method: 'POST', headers: MCP_HEADERS, body: INITIALIZE })
  const wrong = await raw(server.port, { method: 'POST', headers: { ...MCP_HEADERS, Authorization: `Bearer ${TOKEN}x` }, body: INITIALIZE })
  const right = await raw(server.port, { method: 'POST', headers: { ...MCP_HEADERS, Authorization: `Bearer ${TOKEN}` }, body: INITIALIZE })
  assert.deepEqual([none.status, wrong.status, right.status], [401, 401, 200])
  await assert.rejects(connect(t, server.url, 'not-the-token'))
  const health = await raw(server.port, { path: '/healthz' })
  assert.equal(health.status, 200)
  const body = JSON.parse(health.body)
  assert.equal(body.ok, true)
  assert.equal(typeof body.version, 'string')
})

test('a foreign Host or an Origin not listed gets 403; listed ones pass', { timeout: 60_000 }, async (t) => {
  const server = await startHttp(t, { args: ['--token', TOKEN, '--allowed-hosts', 'coord.example', '--allowed-origins', 'http://app.example'] })
  const auth = { ...MCP_HEADERS, Authorization: `Bearer ${TOKEN}` }
  const status = async (headers: Record<string, string>) => (await raw(server.port, { method: 'POST', headers: { ...auth, ...headers }, body: INITIALIZE })).status
  assert.equal(await status({ Host: `evil.example:${server.port}` }), 403)
  assert.equal(await status({ Host: 'localhost:1' }), 403)
  assert.equal(await status({ Origin: 'http://evil.example' }), 403)
  assert.equal((await raw(server.port, { path: '/healthz', headers: { Host: `evil.example:${server.port}` } })).status, 403)
  assert.equal(await status({ Host: `localhost:${server.port}` }), 200)
  assert.equal(await status({ Host: `coord.example:${server.port}` }), 200)
  assert.equal(await status({ Origin: 'http://app.example' }), 200)
})

test('without --token or LOCKSTEP_HTTP_TOKEN, <data>/http-token is created with mode 0600 and its token is accepted', { timeout: 60_000 }, async (t) => {
  const server = await startHttp(t)
  const file = join(server.lockstepHome, 'http-token')
  assert.equal(statSync(file).mode & 0o777, 0o600)
  assert.ok(server.stderr().includes(file), 'the token file is named on stderr')
  const agent = await connect(t, server.url, readFileSync(file, 'utf8').trim())
  assert.equal((await agent.ok('status_get')).config.transport, 'http')
})

test('LOCKSTEP_HTTP_TOKEN is used when --token is absent, and no token file is written', { timeout: 60_000 }, async (t) => {
  const server = await startHttp(t, { env: { LOCKSTEP_HTTP_TOKEN: TOKEN } })
  const agent = await connect(t, server.url, TOKEN)
  await agent.ok('coordination_init', { role: 'planner' })
  assert.equal(existsSync(join(server.lockstepHome, 'http-token')), false)
})

for (const [what, args] of [
  ['a non-loopback --host without --allowed-hosts', ['server', '--http', '--host', '0.0.0.0', '--port', '0', '--token', TOKEN]],
  ['a --port out of range', ['server', '--http', '--port', '70000', '--token', TOKEN]],
  ['--port without --http', ['server', '--port', '0']],
] as const) {
  test(`${what} is a usage error`, { timeout: 60_000 }, async (t) => {
    const home = tempDir(t)
    const result = await runNode([CLI, ...args], { cwd: home, env: { LOCKSTEP_HOME: join(home, 'lh') }, input: '', timeoutMs: 15_000 })
    assert.equal(result.code, 2)
  })
}

test('SIGTERM: server --http exits within 1 s and marks its open sessions ended', { timeout: 60_000 }, async (t) => {
  const server = await startHttp(t, { args: ['--token', TOKEN] })
  const agents = await Promise.all([connect(t, server.url), connect(t, server.url)])
  await agents[0].ok('coordination_init', { role: 'planner' })
  await agents[1].ok('coordination_init', { role: 'implementer' })
  const sent = Date.now()
  server.child.kill('SIGTERM')
  const { code, at } = await server.exited
  assert.equal(code, 0)
  assert.ok(at - sent < 1000, `exited after ${at - sent} ms`)
  const sessions = (await server.agentsFile()).sessions
  assert.equal(sessions.length, 2)
  assert.ok(
    sessions.every((session: any) => session.endedAt),
    'sessions marked ended',
  )
})

test('a first message other than initialize gets a JSON-RPC error that says what to send: server/discover is not found, then initialize works', { timeout: 60_000 }, async (t) => {
  const server = await startHttp(t, { args: ['--token', TOKEN] })
  const headers = { ...MCP_HEADERS, Authorization: `Bearer ${TOKEN}` }
  const discover = await raw(server.port, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'server/discover', params: {} }) })
  assert.equal(discover.status, 200)
  const body = JSON.parse(discover.body)
  assert.deepEqual([body.id, body.error.code], [7, -32601])
  const early = await raw(server.port, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'tools/list' }) })
  assert.deepEqual([early.status, JSON.parse(early.body).id, JSON.parse(early.body).error.code], [400, 8, -32000])
  const garbled = await raw(server.port, { method: 'POST', headers, body: '{not json' })
  assert.deepEqual([garbled.status, JSON.parse(garbled.body).error.code], [400, -32700])
  const init = await raw(server.port, { method: 'POST', headers, body: INITIALIZE })
  assert.equal(init.status, 200)
  assert.match(init.body, /"protocolVersion":"2025-06-18"/)
})
