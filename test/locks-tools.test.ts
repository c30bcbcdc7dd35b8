import { test } from 'node:test'
import assert from 'node:assert/strict'
import { coordinationInit } from '../lib/agents/agents.js'
import { createTask, claimTask } from '../lib/tasks/tasks.js'
import { acquireLock, listLocks, releaseLock } from '../lib/locks/locks.js'
import { listNotes } from '../lib/messages/notes.js'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, testCtx } from './support/helpers.js'
import { events, projectOf, team } from './support/team.js'
import { readStored } from './support/stored.js'

async function refusal(promise: Promise<unknown>): Promise<{ code: string; data: Record<string, any> }> {
  try {
    await promise
  } catch (error) {
    return error as { code: string; data: Record<string, any> }
  }
  throw new Error('expected a refusal')
}

test("lock_acquire renews the holder's own lock in place and refuses others with the holder's data", async (t) => {
  const { impl1, impl2, time } = await team(t)
  const first = await acquireLock(impl1, { path: './src/a.ts', note: 'editing' })
  assert.deepEqual([first.path, first.owner, 'renewed' in first], ['src/a.ts', 'impl-1', false])
  time.advance(5_000)
  const again = await acquireLock(impl1, { path: 'src/a.ts' })
  assert.deepEqual([again.id, 'renewed' in again && again.renewed, again.note], [first.id, true, 'editing'])
  assert.ok(again.expiresAt > first.expiresAt)
  assert.ok((await acquireLock(impl1, { path: 'src/**' })).id !== first.id, 'overlapping locks of one holder coexist')
  const locked = await refusal(acquireLock(impl2, { path: 'src' }))
  assert.equal(locked.code, 'LOCKED')
  assert.deepEqual(
    Object.keys(locked.data)
      .filter((key) => key !== 'conflicts')
      .sort(),
    ['expiresAt', 'holder', 'lockId', 'path', 'since'],
  )
  assert.equal(locked.data.holder, 'impl-1')
})

test('lock_acquire with taskId binds to your own task only', async (t) => {
  const { planner, impl1, impl2 } = await team(t)
  const task = await createTask(planner, { title: 'A', complexity: 'medium' })
  await claimTask(impl1, { id: task.id })
  assert.equal((await refusal(acquireLock(impl1, { path: 'a.ts', taskId: 'task-none' }))).code, 'NOT_FOUND')
  assert.equal((await refusal(acquireLock(impl2, { path: 'a.ts', taskId: task.id }))).code, 'FORBIDDEN')
  assert.equal((await acquireLock(impl1, { path: 'a.ts', taskId: task.id })).taskId, task.id)
})

test('lock_release: NOT_FOUND lists overlapping locks, another holder needs force, force tells the holder', async (t) => {
  const { planner, impl1, impl2 } = await team(t)
  const held = await acquireLock(impl1, { path: 'src/**' })
  const missing = await refusal(releaseLock(impl1, { path: 'src/a.ts' }))
  assert.equal(missing.code, 'NOT_FOUND')
  assert.deepEqual(
    missing.data.overlapping.map((lock: { id: string }) => lock.id),
    [held.id],
  )
  assert.equal((await refusal(releaseLock(impl2, { path: 'src/' }))).code, 'FORBIDDEN')
  assert.equal((await refusal(releaseLock(impl2, { id: held.id, force: true }))).code, 'FORBIDDEN', 'force is for planners')
  const forced = await releaseLock(planner, { path: 'src/', force: true })
  assert.deepEqual([forced.status, forced.releaseReason, forced.releasedBy], ['resolved', 'forced', 'planner'])
  const revoked = (await events(planner)).find((event) => event.type === 'lock.revoked')
  assert.deepEqual([revoked?.actor, revoked?.for, revoked?.data?.reason], ['planner', ['impl-1'], 'forced'])
  assert.ok((await listNotes(planner, { author: 'system' })).some((note) => note.text === '[SYSTEM] planner force-released src/** (held by impl-1).'))
  const agents = await planner.store.read(projectOf(planner), 'agents')
  assert.deepEqual(
    agents.agents.find((agent) => agent.name === 'impl-1')?.pendingNotices.map((notice) => [notice.kind, notice.reason]),
    [['lock_revoked', 'forced']],
  )
  const own = await acquireLock(impl2, { path: 'b.ts' })
  assert.deepEqual((await releaseLock(impl2, { id: own.id })).releaseReason, 'released')
})

test('lock_list: active locks in createdAt order, resolved ones newest first, filtered by path overlap', async (t) => {
  const { impl1, impl2, time } = await team(t)
  const a = await acquireLock(impl2, { path: 'z.ts' })
  time.advance(1_000)
  const b = await acquireLock(impl1, { path: 'a.ts' })
  time.advance(1_000)
  const c = await acquireLock(impl1, { path: 'docs/**' })
  assert.deepEqual(
    (await listLocks(impl1, {})).map((lock) => lock.id),
    [a.id, b.id, c.id],
  )
  assert.deepEqual(
    (await listLocks(impl1, { path: 'docs/x.md' })).map((lock) => lock.id),
    [c.id],
  )
  assert.deepEqual(
    (await listLocks(impl1, { owner: 'IMPL-1' })).map((lock) => lock.id),
    [b.id, c.id],
  )
  await releaseLock(impl1, { id: b.id })
  time.advance(1_000)
  await releaseLock(impl2, { id: a.id })
  assert.deepEqual(
    (await listLocks(impl1, { status: 'resolved' })).map((lock) => lock.id),
    [a.id, b.id],
  )
})

test('lock_list resolved: the newest 500 of the last 7 days, even while the store lets the history run past 500', async (t) => {
  const ctx = testCtx(t)
  await coordinationInit(ctx, { role: 'implementer', name: 'impl-1' })
  for (let i = 0; i < 560; i++) {
    await acquireLock(ctx, { path: `src/h${i}.ts` })
    await releaseLock(ctx, { path: `src/h${i}.ts` })
  }
  const resolved = await listLocks(ctx, { status: 'resolved' })
  assert.equal(resolved.length, 500)
  // newest first; releases within one millisecond tie, so the edge of the window may shift by a few
  const indexes = resolved.map((lock) => Number(/h(\d+)/.exec(lock.path)![1]))
  assert.ok(indexes.includes(559) && indexes.every((index) => index >= 50), `kept ${Math.min(...indexes)}..${Math.max(...indexes)}`)
  assert.ok(resolved.every((lock, i) => i === 0 || (resolved[i - 1].releasedAt ?? '') >= (lock.releasedAt ?? '')))
})

test('resolved locks live apart from the active ones, and a locks.json of schema 1 moves its resolved ones at the next commit', async (t) => {
  const ctx = testCtx(t)
  await coordinationInit(ctx, { role: 'implementer', name: 'impl-1' })
  await acquireLock(ctx, { path: 'src/a.ts' })
  await acquireLock(ctx, { path: 'src/b.ts' })
  await releaseLock(ctx, { path: 'src/a.ts' })
  const project = ctx.store.project(ctx.caller.cwd)
  const split = await readStored(project.dir, 'locks')
  assert.deepEqual([split.locks.map((lock) => lock.path), split.history.map((lock) => lock.path)], [['src/b.ts'], ['src/a.ts']])

  // the same store as an older build wrote it: one array, resolved locks among the active ones
  const dataDir = join(tempDir(t), 'data')
  const older = testCtx(t, { dataDir })
  const olderProject = older.store.project(older.caller.cwd)
  mkdirSync(olderProject.dir, { recursive: true })
  writeFileSync(
    join(olderProject.dir, 'project.json'),
    JSON.stringify({
      schemaVersion: 1,
      kind: 'project',
      projectId: olderProject.id,
      rev: 1,
      updatedAt: 'x',
      root: olderProject.root,
      name: olderProject.name,
      createdAt: new Date().toISOString(),
      context: null,
      status: 'planning',
      allDoneAnnounced: false,
    }),
  )
  writeFileSync(
    join(olderProject.dir, 'locks.json'),
    JSON.stringify({ schemaVersion: 1, kind: 'locks', projectId: olderProject.id, rev: 1, updatedAt: 'x', locks: [split.history[0], split.locks[0]] }),
  )
  assert.deepEqual(
    (await listLocks(older, {})).map((lock) => lock.path),
    ['src/b.ts'],
  )
  assert.deepEqual(
    (await listLocks(older, { status: 'resolved' })).map((lock) => lock.path),
    ['src/a.ts'],
  )
  await coordinationInit(older, { role: 'implementer', name: 'impl-2' })
  await acquireLock(older, { path: 'src/c.ts' })
  const moved = await readStored(olderProject.dir, 'locks')
  assert.deepEqual([moved.locks.map((lock) => lock.path), moved.history.map((lock) => lock.path)], [['src/b.ts', 'src/c.ts'], ['src/a.ts']])
  assert.deepEqual(
    (await listLocks(older, { status: 'resolved' })).map((lock) => lock.path),
    ['src/a.ts'],
  )
})
