import * as v from 'valibot'
import type { Ctx } from '../state/context.js'
import { LockstepError } from '../errors.js'
import { identityFor, requirePlanner } from '../state/identity.js'
import { releaseTaskLocks } from '../state/leases.js'
import { mutate, trimmed } from '../state/project-tx.js'
import { type DomainTx, type Docs } from '../state/domain-tx.js'
import { projectFor } from '../state/projects.js'
import type { DocName, Task } from '../state/schema.js'
import { Id, Name, ProjectRoot, ReviewText, parseInput } from '../core/validate.js'
import { allDoneCheck } from './all-done.js'
import { namesWithRole } from '../project/project-status.js'
import { sameName } from '../core/names.js'
import { getTask } from './tasks.js'
import { publicTask } from './task-views.js'

const REVIEW_DOCS = ['project', 'agents', 'tasks', 'locks', 'notes'] as const
type ReviewDocs = Pick<Docs, (typeof REVIEW_DOCS)[number]>

export const SubmitForReviewInput = v.strictObject({ id: Id, owner: v.optional(Name), reviewNotes: ReviewText, projectRoot: ProjectRoot })

/** in_progress → review by the owner; the lease is cleared, task locks stay. Throws NOT_FOUND, CONFLICT. */
export async function submitForReview(ctx: Ctx, raw: unknown) {
  const input = parseInput(SubmitForReviewInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const owner = await identityFor(ctx, project, input.owner, 'owner', { required: true })
  return mutate(
    ctx,
    project,
    [...REVIEW_DOCS],
    (docs, tx) => {
      const task = getTask(docs.tasks.tasks, input.id)
      if (task.status !== 'in_progress' || !sameName(task.owner, owner)) {
        throw new LockstepError(
          'CONFLICT',
          `Task ${task.id} is ${task.status}${task.owner ? ` (owner ${task.owner})` : ''}; only its owner submits an in_progress task for review.${task.status === 'todo' ? ' Claim it first with task_claim.' : ''}`,
          { id: task.id, status: task.status, ...(task.owner ? { owner: task.owner } : {}) },
        )
      }
      const now = tx.now.toISOString()
      Object.assign(task, { status: 'review', reviewNotes: input.reviewNotes, reviewRequestedAt: now, reviewRounds: task.reviewRounds + 1, updatedAt: now, version: task.version + 1 })
      delete task.leaseExpiresAt
      delete task.leaseSessionId
      tx.note(`[REVIEW] ${task.owner} submitted "${task.title}" (${task.id}) for review, round ${task.reviewRounds}. Review with task_approve or task_request_changes.`)
      tx.emit({ type: 'task.submitted', actor: owner, ids: { taskId: task.id }, for: namesWithRole(docs, 'planner'), data: { round: task.reviewRounds } })
      const agent = docs.agents.agents.find((item) => sameName(item.name, owner))
      return {
        ...publicTask(task),
        _instruction: 'Submitted. Carry on with other work (task_claim_next); events_wait({types: ["task.approved", "task.changes_requested"], mine: true}) waits for the verdict.',
        ...(agent?.worktreePath ? { _hint: `The planner merges ${agent.branchName} from ${agent.worktreePath}: make sure your work is committed there.` } : {}),
      }
    },
    { actor: owner },
  )
}

export const ApproveTaskInput = v.strictObject({ id: Id, feedback: v.optional(ReviewText), projectRoot: ProjectRoot })

/** review → done by a planner who is not the owner. Throws NOT_FOUND, CONFLICT, FORBIDDEN. */
export async function approveTask(ctx: Ctx, raw: unknown) {
  const input = parseInput(ApproveTaskInput, raw)
  requirePlanner(ctx, 'task_approve')
  const project = projectFor(ctx, input.projectRoot)
  return mutate(ctx, project, [...REVIEW_DOCS], (docs, tx) => {
    const task = approveOne(docs, tx, input.id, input.feedback)
    allDoneCheck(docs, tx)
    return publicTask(task)
  })
}

function approveOne(docs: ReviewDocs, tx: DomainTx<DocName>, id: string, feedback?: string): Task {
  const task = getTask(docs.tasks.tasks, id)
  if (task.status !== 'review') {
    throw new LockstepError('CONFLICT', `Task ${task.id} is ${task.status}, not in review; only tasks in review can be approved.`, { id: task.id, status: task.status })
  }
  if (sameName(task.owner, tx.actor)) {
    throw new LockstepError('FORBIDDEN', `${tx.actor} owns task ${task.id} and cannot approve it; another planner (or a human on the dashboard) must review it.`, { id: task.id })
  }
  const now = tx.now.toISOString()
  Object.assign(task, { status: 'done', reviewFeedback: feedback ?? 'Approved', approvedBy: tx.actor, completedAt: now, updatedAt: now, version: task.version + 1 })
  releaseTaskLocks(docs, task.id, 'task_done', tx.actor, tx)
  tx.note(`[APPROVED] "${task.title}" (${task.id}) approved by ${tx.actor}.${feedback ? ` Feedback: ${feedback}` : ''}`)
  tx.emit({ type: 'task.approved', actor: tx.actor, ids: { taskId: task.id }, for: task.owner ? [task.owner] : [], data: { feedback: trimmed(feedback ?? 'Approved') } })
  return task
}

export const ApproveBatchInput = v.strictObject({
  ids: v.pipe(
    v.array(Id),
    v.minLength(1),
    v.maxLength(100),
    v.check((ids) => new Set(ids).size === ids.length, 'ids must be distinct'),
  ),
  feedback: v.optional(ReviewText),
  projectRoot: ProjectRoot,
})

/** Approve several tasks in one transaction, each judged on its own. */
export async function approveBatch(ctx: Ctx, raw: unknown) {
  const input = parseInput(ApproveBatchInput, raw)
  requirePlanner(ctx, 'task_approve_batch')
  const project = projectFor(ctx, input.projectRoot)
  return mutate(ctx, project, [...REVIEW_DOCS], (docs, tx) => {
    const results = input.ids.map((id) => {
      try {
        return { id, success: true as const, title: approveOne(docs, tx, id, input.feedback).title }
      } catch (error) {
        if (!(error instanceof LockstepError)) throw error
        return { id, success: false as const, code: error.code, error: error.message }
      }
    })
    allDoneCheck(docs, tx)
    const approved = results.filter((result) => result.success).length
    const left = docs.tasks.tasks.filter((task) => task.status === 'review').length
    return {
      total: results.length,
      approved,
      failed: results.length - approved,
      results,
      _instruction: left ? `${left} task(s) still wait in review.` : 'No tasks wait in review; watch with events_wait({types: ["task.submitted"]}).',
    }
  })
}

export const RequestChangesInput = v.strictObject({ id: Id, feedback: ReviewText, projectRoot: ProjectRoot })

/** review → in_progress with feedback, same owner, fresh lease. Throws NOT_FOUND, CONFLICT. */
export async function requestChanges(ctx: Ctx, raw: unknown) {
  const input = parseInput(RequestChangesInput, raw)
  requirePlanner(ctx, 'task_request_changes')
  const project = projectFor(ctx, input.projectRoot)
  return mutate(ctx, project, [...REVIEW_DOCS], (docs, tx) => {
    const task = getTask(docs.tasks.tasks, input.id)
    if (task.status !== 'review') {
      throw new LockstepError('CONFLICT', `Task ${task.id} is ${task.status}, not in review; only tasks in review can be sent back.`, { id: task.id, status: task.status })
    }
    const now = tx.now.toISOString()
    const leaseExpiresAt = new Date(tx.now.getTime() + ctx.settings.leaseTtlSec * 1000).toISOString()
    Object.assign(task, { status: 'in_progress', reviewFeedback: input.feedback, leaseExpiresAt, updatedAt: now, version: task.version + 1 })
    for (const lock of docs.locks.locks) if (lock.taskId === task.id && lock.status === 'active') Object.assign(lock, { expiresAt: leaseExpiresAt })
    tx.note(`[CHANGES REQUESTED] "${task.title}" (${task.id}) back to ${task.owner}: ${input.feedback}`)
    tx.emit({ type: 'task.changes_requested', actor: tx.actor, ids: { taskId: task.id }, for: task.owner ? [task.owner] : [], data: { feedback: trimmed(input.feedback) } })
    const settle = task.reviewRounds >= 3 ? ' This is round 3 or later: settle the disagreement in a discussion (discussion_start) before the next submission.' : ''
    return { ...publicTask(task), _instruction: `${task.owner}: address the feedback, then call task_submit_for_review again.${settle}` }
  })
}
