import * as v from 'valibot'
import type { ProjectRef } from '../../storage/documents.js'
import type { Ctx } from '../state/context.js'
import { hasLease, liveNames } from '../state/leases.js'
import { projectFor } from '../state/projects.js'
import { TASK_STATUSES, type Lock, type Task } from '../state/schema.js'
import { Limit, Name, ProjectRoot, parseInput } from '../core/validate.js'
import { blockersOf } from './claim.js'
import { listedTask, taskRow } from './task-views.js'
import { sameName } from '../core/names.js'

/**
 * Tasks and locks as a reader must see them: an expired lease is never reported as held, even before a write has expired it. The
 * documents themselves are changed only by the next transaction.
 */
export async function readLeasedState(ctx: Ctx, project: ProjectRef): Promise<{ tasks: Task[]; locks: Lock[]; history: Lock[] }> {
  const [tasksDoc, locksDoc, agentsDoc] = await Promise.all([ctx.store.read(project, 'tasks'), ctx.store.read(project, 'locks'), ctx.store.read(project, 'agents')])
  const now = ctx.now().getTime()
  // a live holder's lease never lapses (the next transaction renews it)
  const live = liveNames({ agents: agentsDoc }, ctx.isAlive, ctx.now(), ctx.settings.leaseTtlSec * 1000)
  const isLive = (name: string | undefined) => name !== undefined && live.has(name.toLowerCase())
  const tasks = tasksDoc.tasks.map((task) => {
    if (!hasLease(task) || !task.leaseExpiresAt || Date.parse(task.leaseExpiresAt) > now || isLive(task.owner)) return task
    const { owner: _owner, leaseExpiresAt: _lease, leaseSessionId: _session, claimedAt: _claimed, ...rest } = task
    return { ...rest, status: task.status === 'blocked' ? ('blocked' as const) : ('todo' as const) }
  })
  const inReview = new Set(tasks.filter((task) => task.status === 'review').map((task) => task.id))
  const locks = locksDoc.locks.map((lock) =>
    lock.status === 'active' && Date.parse(lock.expiresAt) <= now && !(lock.taskId && inReview.has(lock.taskId)) && !isLive(lock.owner)
      ? { ...lock, status: 'resolved' as const, releaseReason: 'expired' as const, releasedAt: lock.expiresAt, releasedBy: 'system' }
      : lock,
  )
  return { tasks, locks, history: locksDoc.history }
}

async function projectStatusOf(ctx: Ctx, project: ProjectRef): Promise<string> {
  const doc = await ctx.store.read(project, 'project')
  return doc.context ? doc.status : 'unknown'
}

export const ListTasksInput = v.strictObject({
  status: v.optional(v.picklist(TASK_STATUSES)),
  owner: v.optional(Name),
  tag: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(50))),
  ready: v.optional(v.boolean()),
  includeDone: v.optional(v.boolean(), false),
  limit: Limit(100),
  offset: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 0),
  verbose: v.optional(v.boolean(), false),
  projectRoot: ProjectRoot,
})

/** List tasks in createdAt order with filters and paging. */
export async function listTasks(ctx: Ctx, raw: unknown) {
  const input = parseInput(ListTasksInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const [{ tasks }, projectStatus] = await Promise.all([readLeasedState(ctx, project), projectStatusOf(ctx, project)])
  const ordered = [...tasks].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
  const doneCount = ordered.filter((task) => task.status === 'done').length
  const matches = ordered
    .filter((task) => (input.status ? task.status === input.status : input.includeDone || task.status !== 'done'))
    .filter((task) => !input.owner || sameName(task.owner, input.owner))
    .filter((task) => !input.tag || task.tags.includes(input.tag))
    .filter((task) => !input.ready || (task.status === 'todo' && blockersOf(tasks, task).length === 0))
  const page = matches.slice(input.offset, input.offset + input.limit).map((task) => (input.verbose ? listedTask(task, tasks) : taskRow(listedTask(task, tasks))))
  const hidden = !input.status && !input.includeDone ? doneCount : 0
  const hint = listHint(projectStatus, hidden, tasks.filter((task) => task.status === 'review').length)
  return { tasks: page, total: matches.length, offset: input.offset, hasMore: input.offset + page.length < matches.length, doneCount, projectStatus, ...(hint ? { _hint: hint } : {}) }
}

function listHint(projectStatus: string, hidden: number, inReview: number): string | undefined {
  if (projectStatus === 'stopped') return 'The project is stopped: stop work now and wait for the planner.'
  if (projectStatus === 'complete') return 'The project is complete: there is no more work.'
  const parts = []
  if (hidden) parts.push(`${hidden} done task(s) hidden; pass includeDone: true to show them.`)
  if (inReview) parts.push(`${inReview} task(s) wait in review.`)
  return parts.length ? parts.join(' ') : undefined
}

export const TaskSummaryInput = v.strictObject({ projectRoot: ProjectRoot })

/** Counts per status, ready count and completion. */
export async function taskSummary(ctx: Ctx, raw: unknown) {
  const input = parseInput(TaskSummaryInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const [{ tasks }, projectStatus] = await Promise.all([readLeasedState(ctx, project), projectStatusOf(ctx, project)])
  const summary = { total: tasks.length, todo: 0, in_progress: 0, blocked: 0, review: 0, done: 0 }
  for (const task of tasks) summary[task.status]++
  const ready = tasks.filter((task) => task.status === 'todo' && blockersOf(tasks, task).length === 0).length
  const completionPercent = tasks.length ? Math.round((summary.done / tasks.length) * 100) : 0
  const hint = summary.review
    ? `${summary.review} task(s) wait in review: task_list {status: "review"}, then task_approve or task_request_changes.`
    : tasks.length && summary.done === tasks.length
      ? 'All tasks are done: check the result, then project_status_set complete, or add tasks.'
      : undefined
  return { summary, ready, completionPercent, projectStatus, ...(hint ? { _hint: hint } : {}) }
}
