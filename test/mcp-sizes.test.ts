import assert from 'node:assert/strict'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { withinLimit } from '../lib/mcp/server.js'
import { MAX_ANSWER_BYTES, MAX_CONTENT_BYTES, MAX_MESSAGE_BYTES } from '../lib/core/limits.js'
import { startAgent, type McpAgent } from './support/mcp-helpers.js'
import { tempDir } from './support/helpers.js'

// run `npm run build` first: these tests send oversized messages to the built server over stdio

const MiB = 1024 * 1024

async function setup(t: TestContext) {
  const home = tempDir(t, 'lockstep-sizes-')
  const repo = join(home, 'repo')
  mkdirSync(repo)
  const agent = await startAgent(t, { home, cwd: repo, args: ['--tools', 'all'] })
  await agent.ok('coordination_init', { role: 'implementer' })
  return { agent, repo }
}

/** The server still answers, and is the same process. */
async function assertAlive(agent: McpAgent) {
  const status = await agent.ok('status_get')
  assert.equal(typeof status.version, 'string')
}

/** Read a file page by page, following nextOffset, and return the decoded bytes and the number of pages. */
async function readAll(agent: McpAgent, path: string, options: Record<string, unknown>, encoding: BufferEncoding) {
  const parts: Buffer[] = []
  let offset = 0
  for (let pages = 1; ; pages++) {
    const page = await agent.ok('file_read', { path, maxBytes: MAX_CONTENT_BYTES, offset, ...options })
    parts.push(Buffer.from(page.content, encoding))
    if (!page.truncated) return { data: Buffer.concat(parts), pages }
    assert.ok(page.nextOffset > offset)
    offset = page.nextOffset
  }
}

test('oversized requests get INVALID_INPUT and the server keeps serving', { timeout: 120_000 }, async (t) => {
  const { agent, repo } = await setup(t)
  // 12 Mi characters: over the 10 MiB message cap
  const huge = await agent.call('file_write', { path: 'huge.txt', content: 'x'.repeat(12 * MiB) })
  assert.equal(huge.code, 'INVALID_INPUT')
  assert.equal(existsSync(join(repo, 'huge.txt')), false)
  await assertAlive(agent)
  // 50 MB of note text
  const note = await agent.call('note_append', { text: 'n'.repeat(50_000_000) })
  assert.equal(note.code, 'INVALID_INPUT')
  await assertAlive(agent)
  // under the message cap but over the 4 MiB content limit
  const over = await agent.call('file_write', { path: 'over.txt', content: 'x'.repeat(MAX_CONTENT_BYTES + 1) })
  assert.equal(over.code, 'INVALID_INPUT')
  assert.equal(existsSync(join(repo, 'over.txt')), false)
  // at the limit, in hex (two characters per byte), the write goes through
  const atLimit = await agent.ok('file_write', { path: 'limit.bin', content: 'ab'.repeat(MAX_CONTENT_BYTES), encoding: 'hex' })
  assert.equal(atLimit.bytes, MAX_CONTENT_BYTES)
  await assertAlive(agent)
})

test('a read whose answer would exceed the message cap is cut with truncated and nextOffset, and pages back to the whole file', { timeout: 120_000 }, async (t) => {
  const { agent, repo } = await setup(t)
  const binary = Buffer.alloc(MAX_CONTENT_BYTES, 0)
  for (let i = 0; i < binary.length; i++) binary[i] = (i * 7919) % 251
  writeFileSync(join(repo, 'data.bin'), binary)
  // base64 of 4 MiB is 5.3 MiB, held twice in an MCP answer: it must come in pages
  const first = await agent.ok('file_read', { path: 'data.bin', binary: true, maxBytes: MAX_CONTENT_BYTES })
  assert.deepEqual([first.truncated, first.bytes, first.nextOffset > 0, first.nextOffset < MAX_CONTENT_BYTES], [true, MAX_CONTENT_BYTES, true, true])
  const paged = await readAll(agent, 'data.bin', { binary: true }, 'base64')
  assert.ok(paged.data.equals(binary))
  // the worst case for JSON: quotes and control characters, escaped once in the result and again in its text
  const nasty = Buffer.from('"\u0001\\'.repeat(MAX_CONTENT_BYTES / 3 - 1))
  writeFileSync(join(repo, 'nasty.txt'), nasty)
  const text = await readAll(agent, 'nasty.txt', {}, 'utf8')
  assert.ok(text.pages > 1)
  assert.ok(text.data.equals(nasty))
  // multi-byte characters are never split between pages
  const wide = Buffer.from('é€😀'.repeat(400_000))
  writeFileSync(join(repo, 'wide.txt'), wide)
  assert.ok((await readAll(agent, 'wide.txt', { encoding: 'utf8' }, 'utf8')).data.equals(wide))
  await assertAlive(agent)
})

test('artifact_read pages like file_read', { timeout: 120_000 }, async (t) => {
  const { agent } = await setup(t)
  const content = 'q"'.repeat(MAX_CONTENT_BYTES / 2)
  await agent.ok('artifact_write', { path: 'big.txt', content })
  const first = await agent.ok('artifact_read', { path: 'big.txt', maxBytes: MAX_CONTENT_BYTES })
  assert.equal(first.truncated, true)
  const second = await agent.ok('artifact_read', { path: 'big.txt', maxBytes: MAX_CONTENT_BYTES, offset: first.nextOffset })
  assert.equal(first.content + second.content, content.slice(0, first.content.length + second.content.length))
  await assertAlive(agent)
})

test('command output that escapes badly is cut to fit the answer', { timeout: 120_000 }, async (t) => {
  const { agent } = await setup(t)
  const script = `process.stdout.write('\\u0001'.repeat(${MAX_CONTENT_BYTES}))`
  const result = await agent.ok('command_run', { command: `${JSON.stringify(process.execPath)} -e "${script}"`, maxOutputBytes: MAX_CONTENT_BYTES })
  assert.equal(result.stdoutTruncated, true)
  assert.ok(result.stdout.length > 0 && result.stdout.length < MAX_CONTENT_BYTES)
  assert.match(result.stdout, /^\u0001+$/)
  await assertAlive(agent)
})

test('an answer over the message cap becomes INVALID_INPUT instead of being sent', () => {
  const big = { content: [{ type: 'text' as const, text: 'x'.repeat(MAX_MESSAGE_BYTES) }] }
  const refused = withinLimit(big, () => assert.fail('not a bug'))
  assert.deepEqual([refused.isError, (refused.structuredContent as any).code], [true, 'INVALID_INPUT'])
  const small = { content: [{ type: 'text' as const, text: 'x'.repeat(MAX_ANSWER_BYTES / 2) }] }
  assert.equal(
    withinLimit(small, () => undefined),
    small,
  )
})
