import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { INITIALIZE, MCP_HEADERS, raw, startHttp, TOKEN } from './support/http-helpers.js'

// run `npm run build` first: these tests start the built CLI

const AUTH = { ...MCP_HEADERS, Authorization: `Bearer ${TOKEN}` }
const TOOLS_LIST = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} })

async function initialize(port: number, headers: Record<string, string> = {}) {
  const reply = await raw(port, { method: 'POST', headers: { ...AUTH, ...headers }, body: INITIALIZE })
  return { ...reply, session: reply.headers['mcp-session-id'] as string | undefined }
}

async function toolsList(port: number, session: string) {
  const reply = await raw(port, { method: 'POST', headers: { ...AUTH, 'Mcp-Session-Id': session, 'Mcp-Protocol-Version': '2025-06-18' }, body: TOOLS_LIST })
  return reply.status
}

test('server --http holds the session cap per token: 429 with Retry-After beyond it, and a closed session frees a place', { timeout: 60_000 }, async (t) => {
  const server = await startHttp(t, { args: ['--token', TOKEN, '--max-sessions-per-token', '3'] })
  const replies = []
  // a flood well past the cap, as an agent that keeps sending initialize would
  for (let i = 0; i < 40; i++) replies.push(await initialize(server.port))
  const opened = replies.filter((reply) => reply.status === 200)
  const refused = replies.filter((reply) => reply.status !== 200)
  assert.equal(opened.length, 3)
  assert.deepEqual(new Set(refused.map((reply) => reply.status)), new Set([429]))
  for (const reply of refused) assert.ok(Number(reply.headers['retry-after']) >= 1)
  // the live sessions keep working, and the server keeps serving
  for (const reply of opened) assert.equal(await toolsList(server.port, reply.session!), 200)
  const closed = await raw(server.port, { method: 'DELETE', headers: { ...AUTH, 'Mcp-Session-Id': opened[0]!.session!, 'Mcp-Protocol-Version': '2025-06-18' } })
  assert.equal(closed.status, 200)
  assert.equal((await initialize(server.port)).status, 200)
  assert.equal((await initialize(server.port)).status, 429)
})

test('server --http holds the overall session cap with 503 and Retry-After', { timeout: 60_000 }, async (t) => {
  const server = await startHttp(t, { args: ['--token', TOKEN, '--max-sessions', '2'] })
  assert.deepEqual([(await initialize(server.port)).status, (await initialize(server.port)).status], [200, 200])
  const refused = await initialize(server.port)
  assert.equal(refused.status, 503)
  assert.ok(Number(refused.headers['retry-after']) >= 1)
  assert.equal(JSON.parse(refused.body).jsonrpc, '2.0')
})

test('server --http closes a session idle longer than --session-idle, not the lease TTL, and its place is free again', { timeout: 60_000 }, async (t) => {
  const server = await startHttp(t, { args: ['--token', TOKEN, '--session-idle', '1', '--max-sessions-per-token', '1'] })
  const first = await initialize(server.port)
  assert.equal(first.status, 200)
  assert.equal((await initialize(server.port)).status, 429)
  await sleep(2500)
  assert.equal(await toolsList(server.port, first.session!), 404)
  assert.equal((await initialize(server.port)).status, 200)
})

test('server --http on loopback accepts its own loopback Origin with the token, and still refuses foreign ones', { timeout: 60_000 }, async (t) => {
  const server = await startHttp(t, { args: ['--token', TOKEN] })
  const origin = async (value: string, headers: Record<string, string> = AUTH) => (await raw(server.port, { method: 'POST', headers: { ...headers, Origin: value }, body: INITIALIZE })).status
  assert.equal(await origin(`http://localhost:${server.port}`), 200)
  assert.equal(await origin(`http://127.0.0.1:${server.port}`), 200)
  assert.equal(await origin(`http://[::1]:${server.port}`), 200)
  assert.equal(await origin(`http://localhost:${server.port}`, MCP_HEADERS), 401)
  assert.equal(await origin('http://localhost:1'), 403)
  assert.equal(await origin(`https://localhost:${server.port}`), 403)
  assert.equal(await origin('http://evil.example'), 403)
  const rebinding = await raw(server.port, { method: 'POST', headers: { ...AUTH, Host: `evil.example:${server.port}`, Origin: `http://evil.example:${server.port}` }, body: INITIALIZE })
  assert.equal(rebinding.status, 403)
})

test('server --http beyond loopback does not accept loopback Origins unless listed', { timeout: 60_000 }, async (t) => {
  const server = await startHttp(t, { args: ['--token', TOKEN, '--host', '0.0.0.0', '--allowed-hosts', 'coord.example'] })
  const reply = await raw(server.port, { method: 'POST', headers: { ...AUTH, Host: `127.0.0.1:${server.port}`, Origin: `http://localhost:${server.port}` }, body: INITIALIZE })
  assert.equal(reply.status, 403)
})
