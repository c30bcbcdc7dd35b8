import { test } from 'node:test'
import assert from 'node:assert/strict'
import { coordinationInit } from '../lib/agents/agents.js'
import { createTask, claimTask } from '../lib/tasks/tasks.js'
import { approveBatch, approveTask, requestChanges, submitForReview } from '../lib/tasks/reviews.js'
import { listLocks } from '../lib/locks/locks.js'
import { listNotes } from '../lib/messages/notes.js'
import { peerCtx, testCtx } from './support/helpers.js'
import { events } from './support/team.js'

async function team(t: Parameters<typeof testCtx>[0]) {
  const planner = testCtx(t)
  const impl = peerCtx(planner)
  await coordinationInit(planner, { role: 'planner' })
  await coordinationInit(impl, { role: 'implementer', name: 'impl-1' })
  return { planner, impl }
}

test('a review round trip bumps the version once per step and keeps the task locks until approval', async (t) => {
  const { planner, impl } = await team(t)
  const task = await createTask(planner, { title: 'A', complexity: 'medium', files: ['src/a.ts'] })
  const claimed = await claimTask(impl, { id: task.id })
  const submitted = await submitForReview(impl, { id: task.id, reviewNotes: 'first' })
  assert.deepEqual([submitted.version, submitted.reviewRounds, 'leaseExpiresAt' in submitted], [claimed.version + 1, 1, false])
  assert.equal((await listLocks(planner, { taskId: task.id })).length, 1)
  await assert.rejects(submitForReview(impl, { id: task.id, reviewNotes: 'again' }), (error: { code?: string }) => error.code === 'CONFLICT')
  const back = await requestChanges(planner, { id: task.id, feedback: 'more tests' })
  assert.deepEqual([back.status, back.owner, back.reviewNotes, back.version], ['in_progress', 'impl-1', 'first', submitted.version + 1])
  assert.ok(back.leaseExpiresAt)
  await submitForReview(impl, { id: task.id, reviewNotes: 'second' })
  const approved = await approveTask(planner, { id: task.id })
  assert.deepEqual([approved.status, approved.reviewFeedback, approved.approvedBy, approved.reviewRounds], ['done', 'Approved', 'planner', 2])
  assert.ok(approved.completedAt)
  assert.equal((await listLocks(planner, { taskId: task.id })).length, 0)
  const texts = (await listNotes(planner, { author: 'system' })).map((note) => note.text)
  assert.ok(texts.includes(`[REVIEW] impl-1 submitted "A" (${task.id}) for review, round 2. Review with task_approve or task_request_changes.`))
  assert.ok(texts.includes(`[APPROVED] "A" (${task.id}) approved by planner.`))
  assert.ok(texts.some((text) => text.startsWith('[SYSTEM] All 1 tasks are done.')))
  const typed = (await events(planner)).filter((event) => ['task.submitted', 'task.changes_requested', 'task.approved'].includes(event.type))
  assert.deepEqual(
    typed.map((event) => [event.type, event.actor, event.for]),
    [
      ['task.submitted', 'impl-1', ['planner']],
      ['task.changes_requested', 'planner', ['impl-1']],
      ['task.submitted', 'impl-1', ['planner']],
      ['task.approved', 'planner', ['impl-1']],
    ],
  )
})

test('task_approve_batch judges each id on its own and runs the all-done check once', async (t) => {
  const { planner, impl } = await team(t)
  const ids = []
  for (const title of ['A', 'B']) {
    const task = await createTask(planner, { title, complexity: 'medium' })
    await claimTask(impl, { id: task.id })
    await submitForReview(impl, { id: task.id, reviewNotes: 'ok' })
    ids.push(task.id)
  }
  const open = await createTask(planner, { title: 'C', complexity: 'simple' })
  const batch = await approveBatch(planner, { ids: [...ids, open.id, 'task-none'], feedback: 'fine' })
  assert.deepEqual([batch.total, batch.approved, batch.failed], [4, 2, 2])
  assert.deepEqual(
    batch.results.map((result) => (result.success ? [result.id, result.title] : [result.id, result.code])),
    [
      [ids[0], 'A'],
      [ids[1], 'B'],
      [open.id, 'CONFLICT'],
      ['task-none', 'NOT_FOUND'],
    ],
  )
  assert.equal(typeof batch._instruction, 'string')
  const approvedNotes = (await listNotes(planner, { author: 'system' })).filter((note) => note.text.startsWith('[APPROVED]'))
  assert.deepEqual(
    approvedNotes.map((note) => note.text.endsWith(' Feedback: fine')),
    [true, true],
  )
  await assert.rejects(approveBatch(impl, { ids }), (error: { code?: string }) => error.code === 'FORBIDDEN')
  await assert.rejects(approveBatch(planner, { ids: [ids[0], ids[0]] }), (error: { code?: string }) => error.code === 'INVALID_INPUT')
})
