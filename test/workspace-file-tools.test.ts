import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { readFileTool, writeFileTool } from '../lib/workspace/file-tools.js'
import { MAX_CONTENT_BYTES } from '../lib/core/limits.js'
import { acquireLock, releaseLock } from '../lib/locks/locks.js'
import { tempDir, testCtx, rejectsWith as rejects, eventsOfType as events } from './support/helpers.js'

const skipLinks = process.platform === 'win32' ? 'symlinks need privileges on Windows' : false

/** repo/ is the project, the work root and the only strict root; outside/ holds a secret and must never gain a file. */
function sandbox(t: TestContext, options: { mode?: 'open' | 'strict'; now?: () => Date } = {}) {
  const base = tempDir(t, 'lockstep-files-')
  const repo = join(base, 'repo')
  const outside = join(base, 'outside')
  mkdirSync(join(repo, 'src'), { recursive: true })
  mkdirSync(outside)
  writeFileSync(join(repo, 'src', 'a.ts'), 'original')
  writeFileSync(join(outside, 'secret.txt'), 'secret')
  const settings = (options.mode ?? 'strict') === 'strict' ? { mode: 'strict' as const, roots: [repo] } : {}
  const ctx = testCtx(t, { cwd: repo, settings, ...(options.now ? { now: options.now } : {}) })
  return { ctx, repo, outside }
}

function assertOutsideUntouched(outside: string): void {
  assert.deepEqual(readdirSync(outside).sort(), ['secret.txt'])
  assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'secret')
}

test('strict mode: file_write refuses ../ out of the root and names the resolved path and the roots', async (t) => {
  const { ctx, repo, outside } = sandbox(t)
  const data = await rejects(writeFileTool(ctx, { path: '../outside/marker', content: 'x' }), 'FORBIDDEN')
  assert.equal(data.path, join(outside, 'marker'))
  assert.deepEqual(data.roots, [repo])
  await rejects(writeFileTool(ctx, { path: 'src/../../outside/marker', content: 'x', createDirs: true }), 'FORBIDDEN')
  assert.equal(existsSync(join(outside, 'marker')), false)
  assertOutsideUntouched(outside)
})

test('strict mode: file_read refuses ../ out of the root', async (t) => {
  const { ctx } = sandbox(t)
  await rejects(readFileTool(ctx, { path: '../outside/secret.txt' }), 'FORBIDDEN')
})

test('strict mode: file_read refuses a symlink inside the root that points out', { skip: skipLinks }, async (t) => {
  const { ctx, repo, outside } = sandbox(t)
  symlinkSync(join(outside, 'secret.txt'), join(repo, 'link'))
  const data = await rejects(readFileTool(ctx, { path: 'link' }), 'FORBIDDEN')
  assert.equal(data.path, join(outside, 'secret.txt'))
})

test('strict mode: file_write refuses a symlink inside the root that points at a file outside', { skip: skipLinks }, async (t) => {
  const { ctx, repo, outside } = sandbox(t)
  symlinkSync(join(outside, 'secret.txt'), join(repo, 'link'))
  await rejects(writeFileTool(ctx, { path: 'link', content: 'overwritten' }), 'FORBIDDEN')
  await rejects(writeFileTool(ctx, { path: 'link', content: 'appended', mode: 'append' }), 'FORBIDDEN')
  assertOutsideUntouched(outside)
})

test('strict mode: file_write refuses a dangling symlink inside the root whose target is outside', { skip: skipLinks }, async (t) => {
  const { ctx, repo, outside } = sandbox(t)
  symlinkSync(join(outside, 'marker'), join(repo, 'dangling'))
  await rejects(writeFileTool(ctx, { path: 'dangling', content: 'x' }), 'FORBIDDEN')
  assert.equal(existsSync(join(outside, 'marker')), false)
})

test('strict mode: file_write refuses a new file under a symlinked parent folder that points out', { skip: skipLinks }, async (t) => {
  const { ctx, repo, outside } = sandbox(t)
  symlinkSync(outside, join(repo, 'dir-out'))
  await rejects(writeFileTool(ctx, { path: 'dir-out/marker', content: 'x' }), 'FORBIDDEN')
  await rejects(writeFileTool(ctx, { path: 'dir-out/sub/marker', content: 'x', createDirs: true }), 'FORBIDDEN')
  assert.equal(existsSync(join(outside, 'marker')), false)
  assertOutsideUntouched(outside)
})

test('strict mode: file_write and file_read refuse an absolute path outside the roots', async (t) => {
  const { ctx, outside } = sandbox(t)
  await rejects(writeFileTool(ctx, { path: join(outside, 'marker'), content: 'x' }), 'FORBIDDEN')
  await rejects(readFileTool(ctx, { path: join(outside, 'secret.txt') }), 'FORBIDDEN')
  assertOutsideUntouched(outside)
})

test('strict mode: a NUL byte in the path is refused', async (t) => {
  const { ctx, repo } = sandbox(t)
  await rejects(writeFileTool(ctx, { path: 'marker\0.txt', content: 'x' }), 'FORBIDDEN')
  await rejects(readFileTool(ctx, { path: 'src/a.ts\0' }), 'FORBIDDEN')
  assert.deepEqual(readdirSync(repo), ['src'])
})

test('open mode refuses a NUL byte too, and reports resolved absolute paths', async (t) => {
  const { ctx, repo, outside } = sandbox(t, { mode: 'open' })
  await rejects(writeFileTool(ctx, { path: 'marker\0', content: 'x' }), 'FORBIDDEN')
  assert.deepEqual(readdirSync(repo), ['src'])
  const read = await readFileTool(ctx, { path: '../outside/secret.txt' })
  assert.deepEqual([read.path, read.relativePath, read.content], [join(outside, 'secret.txt'), undefined, 'secret'])
  const inside = await readFileTool(ctx, { path: 'src/./a.ts' })
  assert.deepEqual([inside.path, inside.relativePath], [join(repo, 'src', 'a.ts'), 'src/a.ts'])
})

test('writes into .git and the work root .lockstep/ are refused in open mode', async (t) => {
  const { ctx, repo } = sandbox(t, { mode: 'open' })
  mkdirSync(join(repo, '.lockstep'))
  await rejects(writeFileTool(ctx, { path: '.lockstep/state.json', content: '{}' }), 'FORBIDDEN')
  await rejects(writeFileTool(ctx, { path: 'src/.git/config', content: 'x', createDirs: true }), 'FORBIDDEN')
  assert.deepEqual(readdirSync(join(repo, '.lockstep')), [])
  assert.equal(existsSync(join(repo, 'src', '.git')), false)
})

test('file_write creates, overwrites and appends inside the root, and createDirs makes missing folders', async (t) => {
  const { ctx, repo } = sandbox(t)
  const created = await writeFileTool(ctx, { path: 'notes.txt', content: 'one\n' })
  assert.deepEqual(created, { path: join(repo, 'notes.txt'), bytes: 4, mode: 'overwrite', created: true })
  const appended = await writeFileTool(ctx, { path: 'notes.txt', content: 'two\n', mode: 'append' })
  assert.deepEqual([appended.created, appended.bytes], [false, 4])
  assert.equal(readFileSync(join(repo, 'notes.txt'), 'utf8'), 'one\ntwo\n')
  await rejects(writeFileTool(ctx, { path: 'deep/er/x.txt', content: 'x' }), 'NOT_FOUND')
  assert.equal(existsSync(join(repo, 'deep')), false)
  await writeFileTool(ctx, { path: 'deep/er/x.txt', content: 'x', createDirs: true })
  assert.equal(readFileSync(join(repo, 'deep', 'er', 'x.txt'), 'utf8'), 'x')
  await writeFileTool(ctx, { path: 'notes.txt', content: '' })
  assert.equal(readFileSync(join(repo, 'notes.txt'), 'utf8'), '')
  await rejects(writeFileTool(ctx, { path: 'src', content: 'x' }), 'INVALID_INPUT')
})

test('file_read caps at maxBytes, reports the full size and says it truncated', async (t) => {
  const { ctx, repo } = sandbox(t)
  writeFileSync(join(repo, 'big.txt'), 'abcdefghij')
  const read = await readFileTool(ctx, { path: 'big.txt', maxBytes: 4 })
  assert.deepEqual([read.content, read.bytes, read.truncated, read.relativePath], ['abcd', 10, true, 'big.txt'])
  const whole = await readFileTool(ctx, { path: 'big.txt' })
  assert.deepEqual([whole.content, whole.truncated], ['abcdefghij', false])
  await rejects(readFileTool(ctx, { path: 'big.txt', maxBytes: 0 }), 'INVALID_INPUT')
  await rejects(readFileTool(ctx, { path: 'missing.txt' }), 'NOT_FOUND')
  await rejects(readFileTool(ctx, { path: 'src' }), 'INVALID_INPUT')
})

test('binary content round-trips as base64', async (t) => {
  const { ctx, repo } = sandbox(t)
  const bytes = Buffer.from([0, 255, 1, 254, 10, 13, 0x80])
  await writeFileTool(ctx, { path: 'blob.bin', content: bytes.toString('base64'), encoding: 'base64' })
  assert.deepEqual(readFileSync(join(repo, 'blob.bin')), bytes)
  const read = await readFileTool(ctx, { path: 'blob.bin', binary: true })
  assert.deepEqual([read.encoding, Buffer.from(read.content, 'base64')], ['base64', bytes])
  const hex = await readFileTool(ctx, { path: 'blob.bin', encoding: 'hex', maxBytes: 2 })
  assert.deepEqual([hex.content, hex.truncated], ['00ff', true])
})

test("file_write is refused with LOCKED on another holder's lock, and the file is unchanged", async (t) => {
  const { ctx, repo } = sandbox(t)
  await acquireLock(ctx, { path: 'src/a.ts', owner: 'impl-1' })
  const data = await rejects(writeFileTool(ctx, { path: 'src/a.ts', content: 'theirs', owner: 'impl-2' }), 'LOCKED')
  assert.deepEqual([data.path, data.holder], ['src/a.ts', 'impl-1'])
  assert.ok(data.expiresAt && data.lockId)
  assert.equal(readFileSync(join(repo, 'src', 'a.ts'), 'utf8'), 'original')
  await writeFileTool(ctx, { path: 'src/a.ts', content: 'mine', owner: 'impl-1' })
  assert.equal(readFileSync(join(repo, 'src', 'a.ts'), 'utf8'), 'mine')
  await releaseLock(ctx, { path: 'src/a.ts', owner: 'impl-1' })
  await writeFileTool(ctx, { path: 'src/a.ts', content: 'theirs', owner: 'impl-2' })
  assert.equal(readFileSync(join(repo, 'src', 'a.ts'), 'utf8'), 'theirs')
})

test('a glob or folder lock covers the files under it, through an absolute path too', async (t) => {
  const { ctx, repo } = sandbox(t)
  await acquireLock(ctx, { path: 'src/', owner: 'impl-1' })
  await rejects(writeFileTool(ctx, { path: join(repo, 'src', 'new.ts'), content: 'x', owner: 'impl-2' }), 'LOCKED')
  await rejects(writeFileTool(ctx, { path: 'src/a.ts', content: 'x', mode: 'append', owner: 'impl-2' }), 'LOCKED')
  assert.deepEqual(readdirSync(join(repo, 'src')), ['a.ts'])
  assert.equal(readFileSync(join(repo, 'src', 'a.ts'), 'utf8'), 'original')
  await writeFileTool(ctx, { path: 'other.ts', content: 'x', owner: 'impl-2' })
})

test('an expired lock does not block a write', async (t) => {
  const clock = { ms: Date.parse('2026-03-01T09:00:00.000Z') }
  const { ctx, repo } = sandbox(t, { now: () => new Date(clock.ms) })
  await acquireLock(ctx, { path: 'src/a.ts', owner: 'impl-1' })
  clock.ms += ctx.settings.leaseTtlSec * 1000 + 1
  await writeFileTool(ctx, { path: 'src/a.ts', content: 'later', owner: 'impl-2' })
  assert.equal(readFileSync(join(repo, 'src', 'a.ts'), 'utf8'), 'later')
})

test('open mode writes outside the project skip the lock check and log no file.written', async (t) => {
  const { ctx, outside } = sandbox(t, { mode: 'open' })
  await acquireLock(ctx, { path: '**', owner: 'impl-1' })
  const written = await writeFileTool(ctx, { path: join(outside, 'free.txt'), content: 'x', owner: 'impl-2' })
  assert.equal(written.path, join(outside, 'free.txt'))
  assert.deepEqual(await events(ctx, 'file.written'), [])
})

test('refusals are recorded as events and successful writes as file.written', async (t) => {
  const { ctx } = sandbox(t)
  await rejects(writeFileTool(ctx, { path: '../outside/marker', content: 'x' }), 'FORBIDDEN')
  await rejects(readFileTool(ctx, { path: '../outside/secret.txt' }), 'FORBIDDEN')
  await acquireLock(ctx, { path: 'src/a.ts', owner: 'impl-1' })
  await rejects(writeFileTool(ctx, { path: 'src/a.ts', content: 'x', owner: 'impl-2' }), 'LOCKED')
  await rejects(readFileTool(ctx, { path: 'missing.txt' }), 'NOT_FOUND')
  const refused = await events(ctx, 'file.refused')
  assert.deepEqual(
    refused.map((event) => [event.data?.tool, event.data?.code, event.data?.path]),
    [
      ['file_write', 'FORBIDDEN', '../outside/marker'],
      ['file_read', 'FORBIDDEN', '../outside/secret.txt'],
      ['file_write', 'LOCKED', 'src/a.ts'],
    ],
  )
  assert.equal(refused[2].data?.holder, 'impl-1')
  await writeFileTool(ctx, { path: 'src/b.ts', content: 'hello' })
  const written = await events(ctx, 'file.written')
  assert.deepEqual(
    written.map((event) => [event.ids?.path, event.data?.bytes]),
    [['src/b.ts', 5]],
  )
})

test('file inputs are validated: unknown properties, encodings and content over 4 MiB', async (t) => {
  const { ctx, repo } = sandbox(t)
  await rejects(writeFileTool(ctx, { path: 'x', content: 'x', extra: true }), 'INVALID_INPUT')
  await rejects(writeFileTool(ctx, { path: 'x', content: 'x', encoding: 'utf32' }), 'INVALID_INPUT')
  await rejects(writeFileTool(ctx, { path: 'x', content: 'a'.repeat(MAX_CONTENT_BYTES + 1) }), 'INVALID_INPUT')
  await rejects(readFileTool(ctx, { path: '' }), 'INVALID_INPUT')
  assert.deepEqual(readdirSync(repo), ['src'])
})
