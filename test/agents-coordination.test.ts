import { test } from 'node:test'
import assert from 'node:assert/strict'
import { coordinationInit } from '../lib/agents/agents.js'
import { createTask, claimTask } from '../lib/tasks/tasks.js'
import { claimNextTask } from '../lib/tasks/claim-next.js'
import { submitForReview } from '../lib/tasks/reviews.js'
import { appendNote } from '../lib/messages/notes.js'
import { discussionInbox, startDiscussion } from '../lib/messages/discussions.js'
import { setProjectContext, setProjectStatusTool } from '../lib/project/project-context.js'
import { peerCtx, testCtx, rejectsWith as rejects } from './support/helpers.js'
import { clock, events } from './support/team.js'

test('identity: unregistered sessions must name themselves, and not with a live registered name', async (t) => {
  const planner = testCtx(t)
  const impl = peerCtx(planner)
  const stranger = peerCtx(planner)
  await coordinationInit(planner, { role: 'planner' })
  await coordinationInit(impl, { role: 'implementer', name: 'impl-1' })
  const task = await createTask(planner, { title: 'A', complexity: 'medium' })
  await rejects(claimTask(stranger, { id: task.id }), 'INVALID_INPUT')
  await rejects(claimNextTask(stranger, {}), 'INVALID_INPUT')
  await rejects(submitForReview(stranger, { id: task.id, reviewNotes: 'x' }), 'INVALID_INPUT')
  await rejects(startDiscussion(stranger, { topic: 'T', message: 'M' }), 'INVALID_INPUT')
  await rejects(discussionInbox(stranger, {}), 'INVALID_INPUT')
  await rejects(claimTask(stranger, { id: task.id, owner: 'IMPL-1' }), 'FORBIDDEN')
  await rejects(appendNote(stranger, { text: 'hi', author: 'impl-1' }), 'FORBIDDEN')
  await rejects(claimTask(impl, { id: task.id, owner: 'planner' }), 'FORBIDDEN')
  const mine = await claimTask(impl, { id: task.id, owner: 'IMPL-1' })
  assert.equal(mine.owner, 'impl-1', 'the registered name, whatever the spelling passed')
  const note = await appendNote(stranger, { text: 'hello', author: 'bob' })
  assert.equal(note.author, 'bob')
  assert.equal((await appendNote(stranger, { text: 'who?' })).author, 'anonymous')
})

test('implementer guidance leaves projectContext out while the project has no context', async (t) => {
  const planner = testCtx(t)
  const impl = peerCtx(planner)
  await coordinationInit(planner, { role: 'planner' })
  await createTask(planner, { title: 'Early', complexity: 'simple' })
  const init: Record<string, unknown> = await coordinationInit(impl, { role: 'implementer' })
  assert.equal(init.status, 'ready')
  assert.equal('projectContext' in init, false)
  assert.deepEqual([init.availableTasks, init.inbox, init.yourTasks], [1, 0, []])
})

test('a claim refused after a revocation says the lease was revoked, also for a task without files', async (t) => {
  const time = clock()
  const planner = testCtx(t, { now: time.now, settings: { leaseTtlSec: 60 } })
  // a session of another host: its lease lapses after the TTL without a call (a live local one would keep it)
  const impl1 = peerCtx(planner)
  impl1.caller.host = 'build-box-2'
  const impl2 = peerCtx(planner)
  await coordinationInit(planner, { role: 'planner' })
  await coordinationInit(impl1, { role: 'implementer', name: 'impl-1' })
  await coordinationInit(impl2, { role: 'implementer', name: 'impl-2' })
  const task = await createTask(planner, { title: 'No files', complexity: 'medium' })
  await claimTask(impl1, { id: task.id })
  time.advance(61_000)
  await claimTask(impl2, { id: task.id })
  await assert.rejects(claimTask(impl1, { id: task.id }), (error: { code?: string; data?: { revoked?: boolean } }) => {
    assert.equal(error.code, 'CONFLICT')
    assert.equal(error.data?.revoked, true)
    return true
  })
})

test('project_status_set: notes, one event for implementers, a notice each, complete refused with open tasks unless forced, claims refused', async (t) => {
  const planner = testCtx(t)
  const impl = peerCtx(planner)
  await coordinationInit(planner, { role: 'planner' })
  await coordinationInit(impl, { role: 'implementer', name: 'impl-1' })
  await rejects(setProjectStatusTool(planner, { status: 'stopped' }), 'NOT_FOUND')
  await setProjectContext(planner, { description: 'd', endState: 'e' })
  const task = await createTask(planner, { title: 'A', complexity: 'simple' })
  const stopped = await setProjectStatusTool(planner, { status: 'stopped' })
  assert.deepEqual([stopped.success, stopped.status, stopped.from], [true, 'stopped', 'planning'])
  await rejects(claimTask(impl, { id: task.id }), 'CONFLICT')
  assert.equal(((await claimNextTask(impl, {})) as { reason?: string }).reason, 'project_stopped')
  await rejects(setProjectStatusTool(impl, { status: 'ready' }), 'FORBIDDEN')
  const refused = await rejects(setProjectStatusTool(planner, { status: 'complete' }), 'CONFLICT')
  assert.deepEqual(
    refused.open.map((item: { id: string }) => item.id),
    [task.id],
  )
  const complete = await setProjectStatusTool(planner, { status: 'complete', force: true })
  assert.deepEqual(complete.closedTasks, [task.id])
  const changed = (await events(planner)).filter((event) => event.type === 'project.status_changed')
  assert.deepEqual(
    changed.map((event) => [event.actor, event.for, event.data]),
    [
      ['planner', ['impl-1'], { from: 'planning', to: 'stopped' }],
      ['planner', ['impl-1'], { from: 'stopped', to: 'complete' }],
    ],
  )
  const again: Record<string, any> = await coordinationInit(impl, { role: 'implementer', name: 'impl-1' })
  assert.deepEqual(
    again._notices?.map((notice: { kind: string; reason: string }) => [notice.kind, notice.reason]),
    [
      ['project_status', 'status_changed'],
      ['project_status', 'status_changed'],
    ],
  )
  assert.equal(again.status, 'complete')
})

test('project_status_set queues a project_status notice for every implementer, stopped ones too', async (t) => {
  const planner = testCtx(t)
  const impl = peerCtx(planner)
  await coordinationInit(planner, { role: 'planner' })
  await coordinationInit(impl, { role: 'implementer', name: 'impl-1' })
  await setProjectContext(planner, { description: 'd', endState: 'e' })
  const { resetImplementers } = await import('../lib/agents/implementers.js')
  await resetImplementers(planner, {})
  await setProjectStatusTool(planner, { status: 'stopped' })
  const again: Record<string, any> = await coordinationInit(impl, { role: 'implementer', name: 'impl-1' })
  assert.deepEqual(
    again._notices?.map((notice: { kind: string }) => notice.kind),
    ['stopped', 'project_status'],
  )
})
