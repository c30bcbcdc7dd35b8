import { LockstepError } from '../errors.js'
import type { Task } from '../state/schema.js'
import { sameName } from '../core/names.js'

export interface StatusActor {
  actor: string
  isPlanner: boolean
  newOwner?: string
}

/**
 * Why `task_update` may not move `task` to `to`, or null (docs/tools.md#task_update). Pure, so the table can be tested on its own.
 * Every refusal is a CONFLICT naming the status, the owner and the tool to use instead.
 */
export function statusRefusal(task: Task, to: Task['status'], who: StatusActor): LockstepError | null {
  const from = task.status
  const owner = task.owner
  const refuse = (instead: string, next?: string) =>
    new LockstepError('CONFLICT', `Task ${task.id} is ${from}${owner ? ` (owner ${owner})` : ''}; ${who.actor} cannot move it to ${to}. ${instead}`, {
      id: task.id,
      status: from,
      ...(owner ? { owner } : {}),
      to,
      ...(next ? { next } : {}),
    })
  if (to === 'review') return refuse('Use task_submit_for_review.')
  if (who.isPlanner) {
    if (to === 'in_progress' && !who.newOwner && !owner) return refuse('Pass owner, or let an implementer claim it with task_claim.')
    return null
  }
  const isOwner = sameName(owner, who.actor)
  if (from === 'todo' && to === 'in_progress') return refuse(`Claim it with task_claim {id: "${task.id}"}.`, 'task_claim')
  if (from === 'todo' && (!owner || isOwner) && to === 'done') return refuse(`It is not claimed yet: claim it first with task_claim {id: "${task.id}"}, do the work, then close it.`, 'task_claim')
  if (from === 'review') return refuse('Wait for the planner: task_approve or task_request_changes.')
  if (from === 'done') return refuse('Ask the planner to reopen it.')
  if ((from === 'todo' || from === 'blocked') && (to === 'todo' || to === 'blocked') && (!owner || isOwner)) return null
  if (!isOwner) return refuse(`Only its owner${owner ? ` ${owner}` : ''} or the planner may change its status.`)
  if (from === 'in_progress' && to === 'done') return task.complexity === 'simple' ? null : refuse(`A ${task.complexity} task goes through review: task_submit_for_review.`)
  if ((from === 'in_progress' || from === 'blocked') && (to === 'todo' || to === 'blocked' || to === 'in_progress')) return null
  return refuse('See the task state machine in the tool reference.')
}
