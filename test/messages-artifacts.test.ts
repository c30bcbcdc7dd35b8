import { readStored } from './support/stored.js'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { MAX_CONTENT_BYTES } from '../lib/core/limits.js'
import { test, type TestContext } from 'node:test'
import { readArtifact, writeArtifact } from '../lib/messages/artifacts.js'
import { acquireLock } from '../lib/locks/locks.js'
import { peerCtx, testCtx, rejectsWith as rejects, eventsOfType as events } from './support/helpers.js'

const posixOnly = process.platform === 'win32' ? 'file modes are POSIX' : false

function setup(t: TestContext) {
  const ctx = testCtx(t)
  const project = ctx.store.project(ctx.caller.cwd)
  return { ctx, project, repo: ctx.caller.cwd }
}

test('artifact_write then artifact_read round-trips, with versions, author and metadata', async (t) => {
  const { ctx, project } = setup(t)
  const first = await writeArtifact(ctx, { path: 'plans/api.md', content: '# API\n', owner: 'impl-1' })
  assert.deepEqual(first, { path: 'plans/api.md', name: 'plans/api.md', bytes: 6, version: 1 })
  const second = await writeArtifact(ctx, { path: 'plans/api.md', content: '# API v2\n', owner: 'impl-2' })
  assert.equal(second.version, 2)
  const read = await readArtifact(ctx, { path: 'plans/api.md' })
  assert.deepEqual([read.content, read.bytes, read.truncated, read.encoding, read.version, read.author], ['# API v2\n', 9, false, 'utf8', 2, 'impl-2'])
  const stored = (await readStored(project.dir, 'artifacts')).artifacts
  assert.equal(stored.length, 1)
  assert.deepEqual(Object.keys(stored[0]).sort(), ['author', 'bytes', 'createdAt', 'encoding', 'name', 'sha256', 'updatedAt', 'version'])
  assert.equal(stored[0].sha256, createHash('sha256').update('# API v2\n').digest('hex'))
  assert.equal(readFileSync(join(project.dir, 'artifacts', 'plans', 'api.md'), 'utf8'), '# API v2\n')
})

test('artifacts live in the project store, not in the project folder', async (t) => {
  const { ctx, repo } = setup(t)
  await writeArtifact(ctx, { path: 'report.txt', content: 'x' })
  assert.deepEqual(readdirSync(repo), [])
})

test('artifact content files are private: folders 0700, files 0600', { skip: posixOnly }, async (t) => {
  const { ctx, project } = setup(t)
  await writeArtifact(ctx, { path: 'a/b/c.txt', content: 'x' })
  assert.equal(statSync(join(project.dir, 'artifacts', 'a', 'b')).mode & 0o777, 0o700)
  assert.equal(statSync(join(project.dir, 'artifacts', 'a', 'b', 'c.txt')).mode & 0o777, 0o600)
})

test('an artifact written by one agent is read by another of the project', async (t) => {
  const { ctx } = setup(t)
  await writeArtifact(ctx, { path: 'shared/decision.md', content: 'use sqlite', owner: 'impl-1' })
  const other = peerCtx(ctx)
  const read = await readArtifact(other, { path: 'shared/decision.md' })
  assert.deepEqual([read.content, read.author], ['use sqlite', 'impl-1'])
})

test('append adds to the content and bumps the version; concurrent appends all land', async (t) => {
  const { ctx } = setup(t)
  await writeArtifact(ctx, { path: 'log.txt', content: 'a' })
  await writeArtifact(ctx, { path: 'log.txt', content: 'b', mode: 'append' })
  assert.deepEqual([(await readArtifact(ctx, { path: 'log.txt' })).content, (await readArtifact(ctx, { path: 'log.txt' })).version], ['ab', 2])
  const writers = Array.from({ length: 12 }, () => peerCtx(ctx))
  await Promise.all(writers.map((writer, index) => writeArtifact(writer, { path: 'log.txt', content: `${index},`, mode: 'append' })))
  const read = await readArtifact(ctx, { path: 'log.txt' })
  assert.equal(read.version, 14)
  const parts = read.content
    .slice(2)
    .split(',')
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b)
  assert.deepEqual(
    parts,
    Array.from({ length: 12 }, (_, index) => index),
  )
  const created = await writeArtifact(ctx, { path: 'fresh.txt', content: 'new', mode: 'append' })
  assert.equal(created.version, 1)
})

test('binary artifacts round-trip as base64 and read back as base64 by default', async (t) => {
  const { ctx } = setup(t)
  const bytes = Buffer.from([0, 255, 128, 10, 0, 1])
  await writeArtifact(ctx, { path: 'img.bin', content: bytes.toString('base64'), encoding: 'base64' })
  const read = await readArtifact(ctx, { path: 'img.bin' })
  assert.deepEqual([read.encoding, Buffer.from(read.content, 'base64')], ['base64', bytes])
  const capped = await readArtifact(ctx, { path: 'img.bin', maxBytes: 2, encoding: 'hex' })
  assert.deepEqual([capped.content, capped.truncated, capped.bytes], ['00ff', true, 6])
  const asBinary = await readArtifact(ctx, { path: 'img.bin', binary: true, encoding: 'utf8' })
  assert.equal(asBinary.encoding, 'base64')
})

test('a missing artifact is NOT_FOUND with up to 20 existing names', async (t) => {
  const { ctx } = setup(t)
  const none = await rejects(readArtifact(ctx, { path: 'nothing' }), 'NOT_FOUND')
  assert.deepEqual(none.available, [])
  for (let i = 0; i < 25; i++) await writeArtifact(ctx, { path: `doc-${String(i).padStart(2, '0')}`, content: 'x' })
  const data = await rejects(readArtifact(ctx, { path: 'doc-99' }), 'NOT_FOUND')
  assert.equal(data.available.length, 20)
  assert.equal(data.available[0], 'doc-00')
  assert.equal(data.total, 25)
})

test('artifact names are /-separated safe segments without . or ..', async (t) => {
  const { ctx, project } = setup(t)
  const bad = ['../escape', 'a/../../b', 'a/./b', '.', '..', '/abs', 'a//b', 'a/', '', 'a b', 'a\\b', 'a\0b', 'x'.repeat(201)]
  for (const path of bad) await rejects(writeArtifact(ctx, { path, content: 'x' }), 'INVALID_INPUT')
  for (const path of bad) await rejects(readArtifact(ctx, { path }), 'INVALID_INPUT')
  assert.equal(existsSync(join(project.dir, 'artifacts')), false)
  await writeArtifact(ctx, { path: '.hidden/v1.2_final-x', content: 'ok' })
})

test('names that clash on disk are CONFLICT: a file and a folder, or only a case apart', async (t) => {
  const { ctx } = setup(t)
  await writeArtifact(ctx, { path: 'notes', content: 'x' })
  await rejects(writeArtifact(ctx, { path: 'notes/today', content: 'y' }), 'CONFLICT')
  await rejects(writeArtifact(ctx, { path: 'Notes', content: 'y' }), 'CONFLICT')
  await writeArtifact(ctx, { path: 'dir/file', content: 'x' })
  await rejects(writeArtifact(ctx, { path: 'dir', content: 'y' }), 'CONFLICT')
  assert.equal((await readArtifact(ctx, { path: 'notes' })).version, 1)
})

test('content over 4 MiB is refused, also when an append would cross the limit', async (t) => {
  const { ctx } = setup(t)
  await rejects(writeArtifact(ctx, { path: 'big', content: 'a'.repeat(MAX_CONTENT_BYTES + 1) }), 'INVALID_INPUT')
  await writeArtifact(ctx, { path: 'big', content: 'a'.repeat(MAX_CONTENT_BYTES - 1) })
  await rejects(writeArtifact(ctx, { path: 'big', content: 'bb', mode: 'append' }), 'INVALID_INPUT')
  const read = await readArtifact(ctx, { path: 'big', maxBytes: 1 })
  assert.deepEqual([read.bytes, read.version], [MAX_CONTENT_BYTES - 1, 1])
})

test("artifact_write is refused with LOCKED under another holder's artifact: lock, and recorded", async (t) => {
  const { ctx } = setup(t)
  await acquireLock(ctx, { path: 'artifact:reports/**', owner: 'impl-1' })
  const data = await rejects(writeArtifact(ctx, { path: 'reports/week.md', content: 'x', owner: 'impl-2' }), 'LOCKED')
  assert.deepEqual([data.holder, data.path], ['impl-1', 'artifact:reports/**'])
  await rejects(readArtifact(ctx, { path: 'reports/week.md' }), 'NOT_FOUND')
  await writeArtifact(ctx, { path: 'reports/week.md', content: 'mine', owner: 'impl-1' })
  await writeArtifact(ctx, { path: 'other.md', content: 'free', owner: 'impl-2' })
  const refused = await events(ctx, 'artifact.refused')
  assert.deepEqual(
    refused.map((event) => [event.data?.code, event.data?.name, event.data?.holder]),
    [['LOCKED', 'reports/week.md', 'impl-1']],
  )
  const written = await events(ctx, 'artifact.written')
  assert.deepEqual(
    written.map((event) => event.ids?.artifact),
    ['reports/week.md', 'other.md'],
  )
})

test('a file lock does not guard an artifact of the same name', async (t) => {
  const { ctx } = setup(t)
  await acquireLock(ctx, { path: '**', owner: 'impl-1' })
  await writeArtifact(ctx, { path: 'src/a.ts', content: 'x', owner: 'impl-2' })
})
