import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Ctx } from '../lib/state/context.js'
import { createTask, claimTask } from '../lib/tasks/tasks.js'
import { submitForReview } from '../lib/tasks/reviews.js'
import { acquireLock, listLocks } from '../lib/locks/locks.js'
import { listNotes } from '../lib/messages/notes.js'
import { startDiscussion, resolveDiscussion, listDiscussions } from '../lib/messages/discussions.js'
import { getProjectContext, setProjectContext } from '../lib/project/project-context.js'
import { resetImplementers } from '../lib/agents/implementers.js'
import { resetSession } from '../lib/agents/session-reset.js'
import { getStatus } from '../lib/status/status.js'
import { listTasks } from '../lib/tasks/task-queries.js'
import { peerCtx } from './support/helpers.js'
import { events, projectOf, team } from './support/team.js'

const agentsOf = async (ctx: Ctx) => (await ctx.store.read(projectOf(ctx), 'agents')).agents

test('implementer_reset stops implementers, returns their in_progress tasks and frees their locks, not review ones', async (t) => {
  const { planner, impl1, impl2 } = await team(t)
  const running = await createTask(planner, { title: 'Running', complexity: 'medium', files: ['src/a.ts'] })
  const reviewed = await createTask(planner, { title: 'Reviewed', complexity: 'medium', files: ['src/b.ts'] })
  await claimTask(impl1, { id: running.id })
  await claimTask(impl2, { id: reviewed.id })
  await submitForReview(impl2, { id: reviewed.id, reviewNotes: 'ok' })
  await acquireLock(impl2, { path: 'docs/**' })
  await assert.rejects(resetImplementers(impl1, {}), (error: { code?: string }) => error.code === 'FORBIDDEN')
  const reset = await resetImplementers(planner, {})
  assert.deepEqual([reset.success, reset.resetCount, reset.tasksReturned, reset.locksReleased, reset.killed], [true, 2, 1, 2, []])
  const tasks = (await listTasks(planner, {})).tasks
  assert.deepEqual(tasks.map((task) => [task.title, task.status, task.owner]).sort(), [
    ['Reviewed', 'review', 'impl-2'],
    ['Running', 'todo', undefined],
  ])
  assert.deepEqual(
    (await listLocks(planner, {})).map((lock) => lock.path),
    ['src/b.ts'],
  )
  const implementers = (await agentsOf(planner)).filter((agent) => agent.role === 'implementer')
  assert.deepEqual(
    implementers.map((agent) => [agent.status, agent.stoppedReason, agent.pendingNotices.map((notice) => notice.kind)]),
    [
      ['stopped', 'reset', ['stopped']],
      ['stopped', 'reset', ['stopped']],
    ],
  )
  assert.ok((await listNotes(planner, {})).some((note) => note.text === '[SYSTEM] Reset 2 implementer(s): impl-1, impl-2; 1 task(s) returned, 2 lock(s) released.'))
  assert.deepEqual(
    (await events(planner)).filter((event) => event.type === 'agent.stopped').map((event) => event.for),
    [['impl-1'], ['impl-2']],
  )
})

test('session_reset backs up, clears tasks, locks and notes, stops implementers, archives open discussions', async (t) => {
  const { planner, impl1 } = await team(t)
  await assert.rejects(resetSession(planner, {}), (error: { code?: string }) => error.code === 'INVALID_INPUT')
  await setProjectContext(planner, { description: 'd', endState: 'e', implementationPlan: ['1'] })
  const task = await createTask(planner, { title: 'A', complexity: 'medium', files: ['src/a.ts'] })
  await claimTask(impl1, { id: task.id })
  const open = await startDiscussion(impl1, { topic: 'Open', message: 'm', waitingOn: 'planner' })
  const settled = await startDiscussion(impl1, { topic: 'Settled', message: 'm' })
  await resolveDiscussion(planner, { discussionId: settled.discussion.id, decision: 'd', reasoning: 'r' })
  const reset = await resetSession(planner, { confirm: true, keepProjectContext: true })
  assert.deepEqual([reset.success, reset.tasksCleared, reset.locksCleared, reset.implementersReset, reset.discussionsArchived], [true, 1, 1, 2, 1])
  assert.ok(reset.notesCleared > 0)
  assert.ok(existsSync(join(reset.backup, 'tasks.json')))
  assert.ok(Array.isArray(reset.nextSteps) && typeof reset.message === 'string')
  assert.deepEqual((await listTasks(planner, {})).tasks, [])
  assert.deepEqual(await listLocks(planner, {}), [])
  assert.deepEqual(
    (await listNotes(planner, {})).map((note) => note.text),
    ['[SYSTEM] Session reset by planner.'],
  )
  const discussions = (await listDiscussions(planner, {})).discussions
  assert.deepEqual(
    discussions.map((item) => [item.id, item.status]).sort(),
    [
      [open.discussion.id, 'archived'],
      [settled.discussion.id, 'resolved'],
    ].sort(),
  )
  const context = await getProjectContext(planner, {})
  assert.deepEqual([context.found, context.found && context.context.status], [true, 'planning'])
  const agents = await agentsOf(planner)
  assert.deepEqual(
    agents.map((agent) => [agent.name, agent.status]),
    [
      ['planner', 'active'],
      ['impl-1', 'stopped'],
      ['impl-2', 'stopped'],
    ],
  )
  assert.equal((await events(planner)).at(-1)?.type, 'project.reset')
  await resetSession(planner, { confirm: true })
  assert.equal((await getProjectContext(planner, {})).found, false)
})

test('status_get reports settings, the project, this session and counts for this project', async (t) => {
  const { planner, impl1 } = await team(t)
  await acquireLock(impl1, { path: 'a.ts' })
  const status = await getStatus(impl1, {})
  assert.deepEqual(Object.keys(status).sort(), ['artifacts', 'config', 'project', 'session', 'stateSummary', 'version'])
  assert.deepEqual(Object.keys(status.config).sort(), ['command', 'dataDir', 'graceSec', 'home', 'leaseTtlSec', 'logDir', 'mode', 'roots', 'tools', 'transport'])
  assert.deepEqual(Object.keys(status.project).sort(), ['id', 'initialised', 'name', 'root', 'status', 'storeDir'])
  assert.deepEqual([status.session.name, status.session.role], ['impl-1', 'implementer'])
  assert.deepEqual(status.stateSummary, { tasks: 0, locks: 1, notes: 3, discussions: 0, implementers: 2 })
  assert.deepEqual(Object.keys((await getStatus(peerCtx(planner), {})).session), ['id'])
})
