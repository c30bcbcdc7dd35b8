import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Task } from '../lib/state/schema.js'
import { statusRefusal } from '../lib/tasks/task-policy.js'
import { task as storedTask } from './support/store-helpers.js'

function task(status: Task['status'], owner?: string, complexity: Task['complexity'] = 'simple'): Task {
  const now = '2026-11-24T10:00:00.000Z'
  return storedTask('task-1', { title: 'T', status, complexity, ...(owner ? { owner } : {}), createdBy: 'planner', createdAt: now, updatedAt: now })
}

const impl = { actor: 'impl-1', isPlanner: false }
const planner = { actor: 'planner', isPlanner: true }

// [from, owner, complexity, to, who, allowed]: the status changes task_update allows (docs/tools.md#task_update). An
// implementer moves its own or unowned tasks, finishes only simple ones itself and never enters or leaves review (that is
// task_submit_for_review and the planner's review); the planner moves any task, but into in_progress only with an owner.
const ROWS: [Task['status'], string | undefined, Task['complexity'], Task['status'], typeof impl & { newOwner?: string }, boolean][] = [
  ['todo', undefined, 'simple', 'in_progress', impl, false],
  ['todo', undefined, 'simple', 'blocked', impl, true],
  ['blocked', undefined, 'simple', 'todo', impl, true],
  ['todo', 'impl-2', 'simple', 'blocked', impl, false],
  ['in_progress', 'impl-1', 'simple', 'done', impl, true],
  ['in_progress', 'IMPL-1', 'simple', 'done', impl, true],
  ['in_progress', 'impl-1', 'medium', 'done', impl, false],
  ['in_progress', 'impl-1', 'medium', 'todo', impl, true],
  ['blocked', 'impl-1', 'medium', 'todo', impl, true],
  ['in_progress', 'impl-1', 'medium', 'blocked', impl, true],
  ['blocked', 'impl-1', 'medium', 'in_progress', impl, true],
  ['blocked', 'impl-1', 'simple', 'done', impl, false],
  ['in_progress', 'impl-2', 'simple', 'todo', impl, false],
  ['in_progress', 'impl-1', 'medium', 'review', impl, false],
  ['review', 'impl-1', 'medium', 'in_progress', impl, false],
  ['done', 'impl-1', 'medium', 'todo', impl, false],
  ['review', 'impl-1', 'medium', 'done', planner, true],
  ['done', 'impl-1', 'medium', 'in_progress', planner, true],
  ['todo', undefined, 'medium', 'in_progress', planner, false],
  ['todo', undefined, 'medium', 'in_progress', { ...planner, newOwner: 'impl-1' }, true],
  ['in_progress', 'impl-1', 'medium', 'review', planner, false],
]

test('statusRefusal follows the task state machine, refusing with CONFLICT', () => {
  for (const [from, owner, complexity, to, who, allowed] of ROWS) {
    const refusal = statusRefusal(task(from, owner, complexity), to, who)
    assert.equal(refusal === null, allowed, `${from} (${owner ?? 'unowned'}, ${complexity}) → ${to} by ${who.actor}`)
    if (refusal) assert.deepEqual([refusal.code, refusal.data.status], ['CONFLICT', from])
  }
})
