import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { HOST } from '../storage/host.js'
import { coordinationInit } from '../lib/agents/agents.js'
import { createTask, claimTask } from '../lib/tasks/tasks.js'
import { acquireLock, listLocks, releaseLock } from '../lib/locks/locks.js'
import { listTasks } from '../lib/tasks/task-queries.js'
import { listNotes } from '../lib/messages/notes.js'
import { submitForReview } from '../lib/tasks/reviews.js'
import { sweepProject } from '../lib/agents/sessions.js'
import { peerCtx, testCtx } from './support/helpers.js'
import { clock } from './support/team.js'

test('an expired lease returns the task to todo, frees its locks, posts a note and tells the holder', async (t) => {
  const time = clock()
  const planner = testCtx(t, { now: time.now, settings: { leaseTtlSec: 60 } })
  // a session of another host cannot be probed: its leases lapse when it has not been seen for the TTL
  const impl = peerCtx(planner)
  impl.caller.host = 'build-box-2'
  await coordinationInit(planner, { role: 'planner' })
  await coordinationInit(impl, { role: 'implementer', name: 'impl-1' })
  const task = await createTask(planner, { title: 'A', complexity: 'medium', files: ['src/a.ts'] })
  await claimTask(impl, { id: task.id })
  await acquireLock(impl, { path: 'docs/**' })
  time.advance(59_000)
  assert.equal((await listTasks(planner, {})).tasks[0].owner, 'impl-1', 'still held before the TTL')
  time.advance(2_000)
  assert.equal((await listTasks(planner, {})).tasks[0].status, 'todo', 'readers never report an expired lease as held')
  assert.equal((await listLocks(planner, {})).length, 0)
  assert.equal(await sweepProject(planner, planner.caller.cwd), true, 'the sweep finds the expired lease')
  const [onDisk] = (await planner.store.read(planner.store.project(planner.caller.cwd), 'tasks')).tasks
  assert.equal(onDisk.status, 'todo')
  assert.equal(onDisk.owner, undefined)
  const locks = (await planner.store.read(planner.store.project(planner.caller.cwd), 'locks')).history
  assert.deepEqual(
    locks.map((lock) => [lock.status, lock.releaseReason]),
    [
      ['resolved', 'expired'],
      ['resolved', 'expired'],
    ],
  )
  const notes = await listNotes(planner, { author: 'system' })
  assert.ok(notes.some((note) => note.text.includes(task.id)))
  const again = await coordinationInit(impl, { role: 'implementer', name: 'impl-1' })
  assert.deepEqual((again._notices ?? []).map((notice: { kind: string; reason: string }) => [notice.kind, notice.reason]).sort(), [
    ['lock_revoked', 'expired'],
    ['task_revoked', 'expired'],
  ])
})

test('a task in review keeps its locks past the TTL', async (t) => {
  const time = clock()
  const planner = testCtx(t, { now: time.now, settings: { leaseTtlSec: 60 } })
  const impl = peerCtx(planner)
  await coordinationInit(planner, { role: 'planner' })
  await coordinationInit(impl, { role: 'implementer', name: 'impl-1' })
  const task = await createTask(planner, { title: 'A', complexity: 'medium', files: ['src/a.ts'] })
  await claimTask(impl, { id: task.id })
  await submitForReview(impl, { id: task.id, reviewNotes: 'ok' })
  time.advance(3_600_000)
  await sweepProject(planner, planner.caller.cwd)
  assert.equal((await listTasks(planner, {})).tasks[0].status, 'review')
  assert.equal((await listLocks(planner, {})).length, 1)
})

test('a gone session loses its claims only after the grace period', async (t) => {
  const time = clock()
  const planner = testCtx(t, { now: time.now, settings: { graceSec: 60 } })
  let alive = true
  const impl = { ...peerCtx(planner), isAlive: (pid: number, host: string) => (pid === 4242 ? alive : planner.isAlive(pid, host)) }
  impl.caller.pid = 4242
  const watcher = { ...planner, isAlive: impl.isAlive }
  await coordinationInit(watcher, { role: 'planner' })
  await coordinationInit(impl, { role: 'implementer', name: 'impl-1' })
  const task = await createTask(watcher, { title: 'A', complexity: 'medium', files: ['src/a.ts'] })
  await claimTask(impl, { id: task.id })
  alive = false
  assert.equal(await sweepProject(watcher, watcher.caller.cwd), true, 'the sweep marks the session gone')
  time.advance(30_000)
  await sweepProject(watcher, watcher.caller.cwd)
  assert.equal((await listTasks(watcher, {})).tasks[0].owner, 'impl-1')
  time.advance(31_000)
  assert.equal(await sweepProject(watcher, watcher.caller.cwd), true)
  const [revoked] = (await listTasks(watcher, {})).tasks
  assert.equal(revoked.status, 'todo')
  assert.equal((await listLocks(watcher, {})).length, 0)
  const agents = await watcher.store.read(watcher.store.project(watcher.caller.cwd), 'agents')
  assert.equal(agents.agents.find((agent) => agent.name === 'impl-1')?.status, 'stopped')
})

test('names ignore case: a claim spelled IMPL-1 is renewed by impl-1 and revoked when impl-1 is gone', async (t) => {
  const time = clock()
  const planner = testCtx(t, { now: time.now, settings: { leaseTtlSec: 60, graceSec: 10 } })
  let alive = true
  const impl = { ...peerCtx(planner), isAlive: (pid: number, host: string) => (pid === 4343 ? alive : planner.isAlive(pid, host)) }
  impl.caller.pid = 4343
  const watcher = { ...planner, isAlive: impl.isAlive }
  await coordinationInit(watcher, { role: 'planner' })
  await coordinationInit(impl, { role: 'implementer', name: 'impl-1' })
  const task = await createTask(watcher, { title: 'A', complexity: 'medium', owner: 'IMPL-1', status: 'in_progress', files: ['src/a.ts'] })
  time.advance(50_000)
  await coordinationInit(impl, { role: 'implementer', name: 'impl-1' })
  time.advance(50_000)
  assert.equal((await listTasks(watcher, {})).tasks[0].owner, 'IMPL-1', 'the renewal reached the claim')
  assert.equal((await listLocks(watcher, {})).length, 1)
  alive = false
  await sweepProject(watcher, watcher.caller.cwd)
  time.advance(11_000)
  await sweepProject(watcher, watcher.caller.cwd)
  const [revoked] = (await listTasks(watcher, {})).tasks
  assert.deepEqual([revoked.id, revoked.status, revoked.owner], [task.id, 'todo', undefined])
  assert.equal((await listLocks(watcher, {})).length, 0)
})

test('an open HTTP session keeps its leases while its server runs, and loses them once the server has died', async (t) => {
  const time = clock()
  const planner = testCtx(t, { now: time.now, settings: { leaseTtlSec: 60, graceSec: 5 } })
  const http = (name: string, pid: number) => {
    const ctx = peerCtx(planner)
    Object.assign(ctx.caller, { transport: 'http', pid: undefined, host: 'laptop-7', server: { pid, host: HOST } })
    return coordinationInit(ctx, { role: 'implementer', name }).then(() => ctx)
  }
  const dead = spawnSync(process.execPath, ['-e', '0']).pid
  const running = await http('impl-1', process.pid)
  const orphaned = await http('impl-2', dead)
  await acquireLock(running, { path: 'src/a.ts' })
  await acquireLock(orphaned, { path: 'src/b.ts' })
  time.advance(2 * 3600_000)
  await sweepProject(planner, planner.caller.cwd)
  time.advance(10_000)
  await sweepProject(planner, planner.caller.cwd)
  assert.deepEqual(
    (await listLocks(planner, {})).map((lock: { path: string }) => lock.path),
    ['src/a.ts'],
  )
})

test('a lapsed lease is freed by the next write even when the call that first found it due failed', async (t) => {
  const time = clock()
  const planner = testCtx(t, { now: time.now, settings: { leaseTtlSec: 60 } })
  const alice = peerCtx(planner)
  alice.caller.host = 'build-box-2'
  const bob = peerCtx(planner)
  await coordinationInit(planner, { role: 'planner' })
  await coordinationInit(alice, { role: 'implementer', name: 'alice' })
  await coordinationInit(bob, { role: 'implementer', name: 'bob' })
  await acquireLock(alice, { path: 'src/a.ts' })
  time.advance(65_000)
  // this call fails after the expiry step found alice's lock due: everything it did is undone
  await assert.rejects(releaseLock(bob, { path: 'src/zzz.ts' }), (error: { code?: string }) => error.code === 'NOT_FOUND')
  const taken = await acquireLock(bob, { path: 'src/a.ts' })
  assert.equal(taken.owner, 'bob')
})
