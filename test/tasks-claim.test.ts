import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Ctx } from '../lib/state/context.js'
import { createTask, claimTask } from '../lib/tasks/tasks.js'
import { claimNextTask } from '../lib/tasks/claim-next.js'
import { updateTask } from '../lib/tasks/task-updates.js'
import { submitForReview } from '../lib/tasks/reviews.js'
import { acquireLock, listLocks } from '../lib/locks/locks.js'
import { listTasks } from '../lib/tasks/task-queries.js'
import { testCtx, rejectsWith as rejects } from './support/helpers.js'
import { events, projectOf, team } from './support/team.js'

const agentNotices = async (ctx: Ctx, name: string) => (await ctx.store.read(projectOf(ctx), 'agents')).agents.find((agent) => agent.name === name)!.pendingNotices

const reasonOf = (result: object) => (result as { reason?: string }).reason

test('a planner sending a task in review back to in_progress keeps one lock per file', async (t) => {
  const { planner, impl1 } = await team(t)
  const task = await createTask(planner, { title: 'A', complexity: 'medium', files: ['src/a.ts', 'src/b.ts'] })
  await claimTask(impl1, { id: task.id })
  await submitForReview(impl1, { id: task.id, reviewNotes: 'done' })
  const back = await updateTask(planner, { id: task.id, status: 'in_progress' })
  assert.equal(back.status, 'in_progress')
  assert.equal(back.owner, 'impl-1')
  assert.ok(back.leaseExpiresAt)
  const locks = await listLocks(planner, { taskId: task.id })
  assert.deepEqual(
    locks.map((lock) => [lock.path, lock.owner]),
    [
      ['src/a.ts', 'impl-1'],
      ['src/b.ts', 'impl-1'],
    ],
  )
})

test('reassigning a task moves its lease and task locks to the new owner, from review or blocked too', async (t) => {
  const { planner, impl1, time } = await team(t)
  const reviewed = await createTask(planner, { title: 'Reviewed', complexity: 'medium', files: ['src/a.ts'] })
  await claimTask(impl1, { id: reviewed.id })
  await submitForReview(impl1, { id: reviewed.id, reviewNotes: 'done' })
  const moved = await updateTask(planner, { id: reviewed.id, status: 'in_progress', owner: 'impl-2' })
  assert.equal(moved.owner, 'impl-2')
  assert.deepEqual(
    (await listLocks(planner, { taskId: reviewed.id })).map((lock) => lock.owner),
    ['impl-2'],
  )

  const blocked = await createTask(planner, { title: 'Blocked', complexity: 'medium', files: ['src/b.ts'] })
  await claimTask(impl1, { id: blocked.id })
  await updateTask(impl1, { id: blocked.id, status: 'blocked' })
  time.advance(60_000)
  const given = await updateTask(planner, { id: blocked.id, owner: 'impl-2' })
  assert.deepEqual([given.status, given.owner, given.version], ['blocked', 'impl-2', blocked.version + 3])
  assert.equal(given.leaseExpiresAt, new Date(time.now().getTime() + 30 * 60_000).toISOString(), 'the new lease starts now')
  const locks = await listLocks(planner, { taskId: blocked.id })
  assert.deepEqual(
    locks.map((lock) => [lock.owner, lock.expiresAt]),
    [['impl-2', given.leaseExpiresAt]],
  )
  const notices = await agentNotices(planner, 'impl-1')
  assert.deepEqual(
    notices.map((notice) => [notice.kind, notice.reason, notice.id]),
    [
      ['task_revoked', 'reassigned', reviewed.id],
      ['task_revoked', 'reassigned', blocked.id],
    ],
  )
})

test('files on an in_progress task: new paths are locked all or nothing, removed ones released', async (t) => {
  const { planner, impl1, impl2 } = await team(t)
  const task = await createTask(planner, { title: 'A', complexity: 'medium', files: ['src/a.ts', 'src/b.ts'] })
  await claimTask(impl1, { id: task.id })
  await acquireLock(impl2, { path: 'lib/held.ts' })
  await rejects(updateTask(impl1, { id: task.id, files: ['src/a.ts', 'src/c.ts', 'lib/held.ts'] }), 'LOCKED')
  assert.deepEqual(
    (await listLocks(planner, { taskId: task.id })).map((lock) => lock.path),
    ['src/a.ts', 'src/b.ts'],
    'a refused update changes nothing',
  )
  const before = (await events(planner)).length
  const updated = await updateTask(impl1, { id: task.id, files: ['src/a.ts', 'src/c.ts'] })
  assert.deepEqual(updated.files, ['src/a.ts', 'src/c.ts'])
  assert.deepEqual(
    (await listLocks(planner, { taskId: task.id })).map((lock) => lock.path),
    ['src/a.ts', 'src/c.ts'],
  )
  const logged = (await events(planner)).slice(before)
  assert.deepEqual(
    logged.map((event) => [event.type, event.ids?.path ?? null]),
    [
      ['lock.released', 'src/b.ts'],
      ['lock.acquired', 'src/c.ts'],
      ['task.updated', null],
    ],
  )
})

test('dependsOn refuses unknown ids, the task itself and cycles', async (t) => {
  const { planner } = await team(t)
  const a = await createTask(planner, { title: 'A', complexity: 'simple' })
  const b = await createTask(planner, { title: 'B', complexity: 'simple', dependsOn: [a.id] })
  const c = await createTask(planner, { title: 'C', complexity: 'simple', dependsOn: [b.id] })
  await rejects(updateTask(planner, { id: a.id, dependsOn: ['task-missing'] }), 'NOT_FOUND')
  await rejects(updateTask(planner, { id: a.id, dependsOn: [a.id] }), 'INVALID_INPUT')
  await assert.rejects(updateTask(planner, { id: a.id, dependsOn: [c.id] }), (error: { code?: string; data?: { cycle?: string[] } }) => {
    assert.equal(error.code, 'INVALID_INPUT')
    assert.deepEqual(error.data?.cycle, [a.id, c.id, b.id, a.id])
    return true
  })
  assert.deepEqual((await listTasks(planner, { verbose: true })).tasks.find((task) => task.id === a.id)?.dependsOn, [], 'refused updates change nothing')
})

test('an update that repeats values changes nothing and names only real changes', async (t) => {
  const { planner } = await team(t)
  const task = await createTask(planner, { title: 'A', complexity: 'simple', tags: ['x'] })
  const same = await updateTask(planner, { id: task.id, tags: ['x', 'x'], title: 'A' })
  assert.equal(same.version, task.version)
  await updateTask(planner, { id: task.id, tags: ['x', 'x'], title: 'B' })
  const [updated] = (await events(planner)).filter((event) => event.type === 'task.updated')
  assert.deepEqual(updated.data, { changes: ['title'] })
})

test('claiming your own task again renews its locks with the lease, without a new version', async (t) => {
  const { planner, impl1, time } = await team(t, { leaseTtlSec: 60 })
  const task = await createTask(planner, { title: 'A', complexity: 'medium', files: ['src/a.ts'] })
  const first = await claimTask(impl1, { id: task.id })
  time.advance(40_000)
  const again = await claimTask(impl1, { id: task.id })
  assert.equal('alreadyClaimed' in again && again.alreadyClaimed, true)
  assert.equal(again.version, first.version)
  assert.deepEqual(
    again.locks.map((lock) => lock.expiresAt),
    [again.leaseExpiresAt],
  )
  time.advance(40_000)
  assert.deepEqual(
    (await listLocks(planner, {})).map((lock) => lock.path),
    ['src/a.ts'],
    'the lock lives as long as the renewed lease',
  )
  assert.equal((await listTasks(planner, {})).tasks[0].owner, 'impl-1')
})

test('events name the caller as actor, and the server for expiries', async (t) => {
  const { planner, time } = await team(t, { leaseTtlSec: 60 }, true)
  const assigned = await createTask(planner, { title: 'Assigned', complexity: 'simple', owner: 'impl-1', status: 'in_progress', files: ['src/a.ts'] })
  const claimed = (await events(planner)).filter((event) => event.ids?.taskId === assigned.id || event.ids?.path === 'src/a.ts')
  assert.deepEqual(
    claimed.map((event) => [event.type, event.actor]),
    [
      ['task.created', 'planner'],
      ['lock.acquired', 'planner'],
      ['task.claimed', 'planner'],
    ],
  )
  assert.equal(claimed[2].data?.owner, 'impl-1')
  time.advance(61_000)
  const trigger = await createTask(planner, { title: 'Trigger', complexity: 'simple' })
  const created = (await events(planner)).find((event) => event.ids?.taskId === trigger.id)
  assert.equal(created && 'for' in created, false, 'an event that concerns nobody in particular has no for')
  const expired = (await events(planner)).filter((event) => event.type === 'lock.released' || event.type === 'task.revoked')
  assert.deepEqual(
    expired.map((event) => [event.type, event.actor]),
    [
      ['lock.released', 'system'],
      ['task.revoked', 'system'],
    ],
  )

  const fresh = testCtx(t, { now: time.now })
  const task = await createTask(fresh, { title: 'B', complexity: 'simple' })
  await claimTask(fresh, { id: task.id, owner: 'bob' })
  const moved = (await events(fresh)).find((event) => event.type === 'project.status_changed')
  assert.equal(moved?.actor, 'bob', 'an unregistered claimer is the actor of what its claim does')
})

test('task_claim_next reasons come in the documented order, with blocked tasks listed', async (t) => {
  const { planner, impl1, impl2, time } = await team(t)
  const first = await createTask(planner, { title: 'First', complexity: 'simple', files: ['src/**'] })
  time.advance(1)
  const later = await createTask(planner, { title: 'Later', complexity: 'simple', dependsOn: [first.id] })
  time.advance(1)
  const theirs = await createTask(planner, { title: 'Theirs', complexity: 'simple', owner: 'impl-2' })
  await acquireLock(impl2, { path: 'src/x.ts' })
  const locked = await claimNextTask(impl1, {})
  assert.deepEqual([locked.claimed, locked.task, reasonOf(locked)], [false, null, 'all_locked'])
  assert.deepEqual('blocked' in locked ? locked.blocked : undefined, [{ id: later.id, title: 'Later', blockedBy: [first.id] }])
  const taken = await claimNextTask(impl2, {})
  assert.equal(taken.claimed && taken.task.id, first.id, 'oldest first; a holder is not in conflict with its own lock')
  assert.equal(reasonOf(await claimNextTask(impl1, {})), 'all_assigned')
  await claimTask(impl2, { id: theirs.id })
  assert.equal(reasonOf(await claimNextTask(impl1, {})), 'all_blocked')
  await updateTask(impl2, { id: first.id, status: 'done' })
  await claimTask(impl1, { id: later.id })
  assert.equal(reasonOf(await claimNextTask(impl1, {})), 'none_left')
})
