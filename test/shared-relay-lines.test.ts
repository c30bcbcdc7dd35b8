import assert from 'node:assert/strict'
import { test } from 'node:test'
import { daemonAddress } from '../lib/daemon/address.js'
import { parseHello } from '../lib/daemon/hello.js'
import { LineSplitter } from '../lib/daemon/lines.js'
import { answerId, readClientLine } from '../lib/daemon/relay-track.js'

const line = (message: object) => Buffer.from(`${JSON.stringify(message)}\n`)

test('a relay reads the id and method of requests in either key order, and of notifications', () => {
  const params = { name: 'note_append', arguments: { text: '"id":7} {"method":"x"', nested: { id: 9, jsonrpc: '2.0' } } }
  assert.deepEqual(readClientLine(line({ method: 'tools/call', params, jsonrpc: '2.0', id: 5 })), { id: 5, method: 'tools/call' })
  assert.deepEqual(readClientLine(line({ jsonrpc: '2.0', id: 'req-1', method: 'tools/call', params })), { id: 'req-1', method: 'tools/call' })
  assert.deepEqual(readClientLine(line({ params, id: 6, method: 'tools/list', jsonrpc: '2.0' })), { id: 6, method: 'tools/list' })
  assert.deepEqual(readClientLine(line({ method: 'notifications/initialized', jsonrpc: '2.0' })), { method: 'notifications/initialized' })
  assert.deepEqual(readClientLine(line({ jsonrpc: '2.0', id: 'é', method: 'ping' })), { id: 'é', method: 'ping' })
  // a large request is read at its ends
  const big = { method: 'tools/call', params: { name: 'file_write', arguments: { content: 'x'.repeat(200_000) } }, jsonrpc: '2.0', id: 11 }
  assert.deepEqual(readClientLine(line(big)), { id: 11, method: 'tools/call' })
  assert.deepEqual(readClientLine(Buffer.from('not json\n')), {})
})

test('a relay reads the id of answers, and none of requests from the server', () => {
  assert.equal(answerId(line({ result: { content: [{ type: 'text', text: '{"id":3}' }] }, jsonrpc: '2.0', id: 4 })), 4)
  assert.equal(answerId(line({ jsonrpc: '2.0', id: 'a-1', error: { code: -32601, message: 'x' } })), 'a-1')
  assert.equal(answerId(line({ method: 'notifications/tools/list_changed', jsonrpc: '2.0' })), undefined)
  assert.equal(answerId(line({ method: 'ping', jsonrpc: '2.0', id: 9 })), undefined)
})

test('lines are split with their newline across chunks; an oversized one is passed on in parts and not kept', () => {
  const lines: string[] = []
  const parts: string[] = []
  const splitter = new LineSplitter(
    10,
    (item) => lines.push(item.toString()),
    (part, done) => parts.push(`${part.toString()}${done ? '|' : ''}`),
  )
  for (const chunk of ['ab', 'c\nde\n', '0123456789', 'ABCDEF', 'G\nxy', '\n']) splitter.push(Buffer.from(chunk))
  assert.deepEqual(lines, ['abc\n', 'de\n', 'xy\n'])
  assert.equal(parts.join(''), '0123456789ABCDEFG\n|')
})

test('hello: only the expected fields, with __proto__ keys dropped; one address per build and data folder', () => {
  const hello = { lockstep: 'hello', token: 't', version: '1.0.0', pid: 42, cwd: '/w', flags: { mode: 'open' }, env: { PATH: '/bin' } }
  const parsed = parseHello(`{"lockstep":"hello","token":"t","version":"1.0.0","pid":42,"cwd":"/w","flags":{"mode":"open"},"env":{"PATH":"/bin","__proto__":{"polluted":"1"}}}`)
  assert.deepEqual({ ...parsed, env: { ...parsed!.env }, flags: { ...parsed!.flags } }, hello)
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
  assert.equal(parseHello(JSON.stringify({ ...hello, extra: 1 })), undefined)
  assert.equal(parseHello(JSON.stringify({ ...hello, pid: -1 })), undefined)
  assert.equal(parseHello(JSON.stringify({ ...hello, resume: { sessionId: '../x' } })), undefined)
  const runtime = { version: '1.0.0', execPath: '/node', execArgv: [], entry: '/cli.js', nodeOptions: undefined, platform: 'linux' as const, uid: 1000 }
  const a = daemonAddress('/home/u/.lockstep-mcp', runtime)
  assert.equal(a.socketPath, `/home/u/.lockstep-mcp/run/shared-${a.key}.sock`)
  assert.notEqual(daemonAddress('/home/u/.lockstep-mcp', { ...runtime, version: '1.0.1' }).key, a.key)
  assert.notEqual(daemonAddress('/home/u/.lockstep-mcp', { ...runtime, execArgv: ['--import', 'x'] }).key, a.key)
  assert.notEqual(daemonAddress('/home/v/.lockstep-mcp', runtime).key, a.key)
  const deep = daemonAddress(`/home/${'d'.repeat(120)}`, runtime)
  assert.ok(Buffer.byteLength(deep.socketPath) <= 100, deep.socketPath)
  assert.match(deep.socketPath, /lockstep-mcp-1000\/[0-9a-f]{16}\.sock$/)
  assert.match(daemonAddress('C:\\Users\\u\\.lockstep-mcp', { ...runtime, platform: 'win32' }).socketPath, /^\\\\\.\\pipe\\lockstep-mcp-[0-9a-f]{16}$/)
})
