import * as v from 'valibot'
import type { Ctx } from '../state/context.js'
import { LockstepError } from '../errors.js'
import { normaliseLockPath } from '../locks/lock-paths.js'
import { clearOwnership, releaseTaskLocks, resolveLock } from '../state/leases.js'
import { mutate, actorOf } from '../state/project-tx.js'
import { type DomainTx } from '../state/domain-tx.js'
import { projectFor, workRootFor } from '../state/projects.js'
import { COMPLEXITIES, PRIORITIES, TASK_STATUSES, type DocName, type Task } from '../state/schema.js'
import { Id, JsonObject, LongText, Name, ProjectRoot, Tags, Title, parseInput, unique } from '../core/validate.js'
import { allDoneCheck } from './all-done.js'
import { lockTaskFiles, type ClaimDocs } from './claim.js'
import { sameName } from '../core/names.js'
import { getTask, FileList, IdList } from './tasks.js'
import { publicTask } from './task-views.js'
import { statusRefusal } from './task-policy.js'

export const UpdateTaskInput = v.strictObject({
  id: Id,
  title: v.optional(Title),
  description: v.optional(LongText),
  complexity: v.optional(v.picklist(COMPLEXITIES)),
  tags: v.optional(Tags),
  metadata: v.optional(JsonObject),
  priority: v.optional(v.picklist(PRIORITIES)),
  status: v.optional(v.picklist(TASK_STATUSES)),
  owner: v.optional(Name),
  dependsOn: IdList,
  files: FileList,
  ifVersion: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  projectRoot: ProjectRoot,
})

const PLANNER_FIELDS = ['title', 'complexity', 'priority', 'dependsOn', 'owner'] as const
const OWNER_FIELDS = ['description', 'tags', 'metadata', 'files'] as const

/** Change a task's content or status along the state machine (statusRefusal; docs/tools.md#task_update). Throws NOT_FOUND, CONFLICT, LOCKED, FORBIDDEN, INVALID_INPUT. */
export async function updateTask(ctx: Ctx, raw: unknown) {
  const input = parseInput(UpdateTaskInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const isPlanner = ctx.caller.binding?.role !== 'implementer'
  const actor = actorOf(ctx)
  if (!isPlanner) {
    const forbidden = PLANNER_FIELDS.filter((field) => input[field] !== undefined)
    if (forbidden.length) {
      throw new LockstepError('FORBIDDEN', `${forbidden.join(', ')} can be changed by the planner only; ask the planner in a discussion.`, { fields: forbidden })
    }
  }
  const files = input.files && unique(input.files.map((path) => normaliseLockPath(path, workRootFor(ctx, project))))
  return mutate(ctx, project, ['project', 'agents', 'tasks', 'locks', 'notes'], (docs, tx) => {
    const task = getTask(docs.tasks.tasks, input.id)
    if (input.ifVersion !== undefined && input.ifVersion !== task.version) {
      throw new LockstepError('CONFLICT', `Task ${task.id} is at version ${task.version}, not ${input.ifVersion}; read it again (task_list) and retry.`, {
        id: task.id,
        version: task.version,
      })
    }
    if (!isPlanner && OWNER_FIELDS.some((field) => input[field] !== undefined) && !sameName(task.owner, actor)) {
      if (!task.owner && task.status === 'todo') {
        throw new LockstepError('FORBIDDEN', `Nobody has claimed task ${task.id}: claim it first with task_claim {id: "${task.id}"}, then update it.`, { id: task.id, next: 'task_claim' })
      }
      throw new LockstepError('FORBIDDEN', `Task ${task.id} is owned by ${task.owner ?? 'nobody'}; only its owner or the planner may change it.`, { id: task.id, owner: task.owner })
    }
    const before = JSON.stringify(task)
    const changes: string[] = []
    const from = task.status
    const notes: string[] = []
    if (input.dependsOn) setDependencies(docs.tasks.tasks, task, unique(input.dependsOn))
    for (const field of ['title', 'complexity', 'priority', 'tags', 'metadata', 'dependsOn'] as const) {
      if (input[field] === undefined) continue
      const value = field === 'tags' || field === 'dependsOn' ? unique(input[field] as string[]) : input[field]
      if (JSON.stringify(task[field]) === JSON.stringify(value)) continue
      Object.assign(task, { [field]: value })
      changes.push(field)
    }
    if (input.description !== undefined && input.description !== (task.description ?? '')) {
      if (input.description === '') delete task.description
      else task.description = input.description
      changes.push('description')
    }
    if (files && JSON.stringify(files) !== JSON.stringify(task.files)) {
      notes.push(...changeFiles(docs, tx, task, files))
      changes.push('files')
    }
    const targetStatus = input.status ?? task.status
    if (input.owner !== undefined && !sameName(input.owner, task.owner)) {
      notes.push(...changeOwner(docs, tx, task, input.owner, targetStatus))
      changes.push('owner')
    }
    if (input.status !== undefined && input.status !== task.status) {
      const refusal = statusRefusal(task, input.status, { actor, isPlanner, newOwner: input.owner })
      if (refusal) throw refusal
      notes.push(...changeStatus(docs, tx, task, input.status, input.owner))
      changes.push('status')
    }
    if (JSON.stringify(task) === before) return { ...publicTask(task), changes: [] as string[] }
    task.version++
    task.updatedAt = tx.now.toISOString()
    const data = { changes, ...(from !== task.status ? { from, to: task.status } : {}) }
    tx.emit({ type: 'task.updated', actor, ids: { taskId: task.id }, for: task.owner ? [task.owner] : [], data })
    allDoneCheck(docs, tx)
    return { ...publicTask(task), changes, ...(from !== task.status || notes.length ? { _instruction: notes.join(' ') || `Task is now ${task.status}.` } : {}) }
  })
}

function setDependencies(tasks: Task[], task: Task, ids: string[]): void {
  const missing = ids.filter((id) => !tasks.some((item) => item.id === id))
  if (missing.length) throw new LockstepError('NOT_FOUND', `dependsOn names unknown task(s) ${missing.join(', ')}; list the tasks with task_list.`, { missing })
  if (ids.includes(task.id)) throw new LockstepError('INVALID_INPUT', `Task ${task.id} cannot depend on itself; remove it from dependsOn.`, { cycle: [task.id, task.id] })
  const cycle = findCycle(tasks, task.id, ids)
  if (cycle) throw new LockstepError('INVALID_INPUT', `dependsOn would form a cycle: ${cycle.join(' → ')}; remove one of these dependencies.`, { cycle })
}

/** A path from one of `deps` back to `start` through dependsOn, if any. */
function findCycle(tasks: Task[], start: string, deps: string[]): string[] | null {
  const byId = new Map(tasks.map((task) => [task.id, task]))
  const seen = new Set<string>()
  const walk = (id: string, path: string[]): string[] | null => {
    if (id === start) return [start, ...path]
    if (seen.has(id)) return null
    seen.add(id)
    for (const next of byId.get(id)?.dependsOn ?? []) {
      const found = walk(next, [...path, next])
      if (found) return found
    }
    return null
  }
  for (const dep of deps) {
    const found = walk(dep, [dep])
    if (found) return found
  }
  return null
}

function changeFiles(docs: ClaimDocs, tx: DomainTx<DocName>, task: Task, files: string[]): string[] {
  const added = files.filter((path) => !task.files.includes(path))
  const removed = task.files.filter((path) => !files.includes(path))
  task.files = files
  if (task.status !== 'in_progress' || !task.owner) return []
  for (const lock of docs.locks.locks) {
    if (lock.taskId !== task.id || lock.status !== 'active' || !removed.includes(lock.path)) continue
    resolveLock(lock, 'released', tx.actor, tx.now)
    tx.emit({ type: 'lock.released', actor: tx.actor, ids: { lockId: lock.id, path: lock.path }, data: { owner: lock.owner, reason: 'released' } })
  }
  const taken = lockTaskFiles(docs, tx, { ...task, files: added }, task.owner, task.leaseSessionId)
  return [taken.length ? `Locked ${taken.map((lock) => lock.path).join(', ')}.` : '', removed.length ? `Released ${removed.join(', ')}.` : ''].filter(Boolean)
}

/**
 * Reassignment moves the claim: the task locks follow the new owner (also from review or blocked), a lease starts
 * now, and the previous owner is told. A todo task's owner is only an assignment, and a task given back or finished
 * in the same update keeps nothing to move.
 */
function changeOwner(docs: ClaimDocs, tx: DomainTx<DocName>, task: Task, owner: string, targetStatus: Task['status']): string[] {
  const previous = task.owner
  task.owner = owner
  if (!previous || task.status === 'todo' || task.status === 'done' || targetStatus === 'todo' || targetStatus === 'done') return []
  const now = tx.now.toISOString()
  // a task in review has no lease; changeStatus starts one if it leaves review
  if (task.status !== 'review') task.leaseExpiresAt = new Date(tx.now.getTime() + tx.ctx.settings.leaseTtlSec * 1000).toISOString()
  delete task.leaseSessionId
  for (const lock of docs.locks.locks) {
    if (lock.taskId !== task.id || lock.status !== 'active') continue
    Object.assign(lock, { owner, updatedAt: now, ...(task.status !== 'review' ? { expiresAt: task.leaseExpiresAt } : {}) })
    delete lock.sessionId
  }
  tx.notify(previous, {
    kind: 'task_revoked',
    id: task.id,
    title: task.title,
    reason: 'reassigned',
    by: tx.actor,
    message: `Task ${task.id} "${task.title}" was reassigned to ${owner} by ${tx.actor}; stop working on it.`,
  })
  return [`Reassigned from ${previous} to ${owner}; the lease and task locks moved with it.`]
}

function changeStatus(docs: ClaimDocs, tx: DomainTx<DocName>, task: Task, to: Task['status'], newOwner?: string): string[] {
  const now = tx.now.toISOString()
  if (to === 'done') {
    const released = releaseTaskLocks(docs, task.id, 'task_done', tx.actor, tx)
    Object.assign(task, { status: 'done', completedAt: now })
    delete task.leaseExpiresAt
    delete task.leaseSessionId
    return [`Done.${released ? ` Released ${released} task lock(s).` : ''}`]
  }
  if (to === 'todo') {
    const released = releaseTaskLocks(docs, task.id, 'task_returned', tx.actor, tx)
    clearOwnership(task, 'todo', tx)
    task.version--
    return [`Returned to todo.${released ? ` Released ${released} task lock(s).` : ''}`]
  }
  if (to === 'blocked') {
    task.status = 'blocked'
    return ['Blocked; you keep ownership and the lease. Set it back to in_progress when unblocked.']
  }
  const owner = newOwner ?? task.owner!
  if (task.status === 'blocked' && sameName(task.owner, owner) && task.leaseExpiresAt) {
    task.status = 'in_progress'
    return ['Back in progress.']
  }
  // task locks still held (kept through review, or moved with the owner) stay; only the missing paths are locked
  const held = docs.locks.locks.filter((lock) => lock.taskId === task.id && lock.status === 'active')
  const missing = task.files.filter((path) => !held.some((lock) => lock.path === path))
  const taken = lockTaskFiles(docs, tx, { ...task, files: missing }, owner, task.leaseSessionId)
  const leaseExpiresAt = new Date(tx.now.getTime() + tx.ctx.settings.leaseTtlSec * 1000).toISOString()
  for (const lock of held) Object.assign(lock, { owner, expiresAt: leaseExpiresAt, updatedAt: now })
  Object.assign(task, { status: 'in_progress', owner, claimedAt: now, leaseExpiresAt })
  return [`In progress for ${owner}.${taken.length ? ` Locked ${taken.map((lock) => lock.path).join(', ')}.` : ''}`]
}
