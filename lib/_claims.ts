import { LockstepError } from './errors.js'
import { newId } from './core/ids.js'
import { lockPathsOverlap } from './locks/lock-paths.js'
import { hasLease } from './state/leases.js'
import type { DomainTx, Docs } from './state/project-tx.js'
import type { DocName, Lock, Task } from './state/schema.js'

export type ClaimDocs = Pick<Docs, 'project' | 'agents' | 'tasks' | 'locks' | 'notes'>

export function sameName(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase()
}

export interface LockConflict {
  path: string
  holder: string
  lockId: string
  since: string
  expiresAt: string
  taskId?: string
}

/** Active locks of other holders that overlap `path`. A lock without an owner belongs to nobody, so it conflicts. */
export function conflictsFor(locks: Lock[], path: string, owner: string): LockConflict[] {
  return locks
    .filter((lock) => lock.status === 'active' && !sameName(lock.owner, owner) && lockPathsOverlap(lock.path, path))
    .map((lock) => ({
      path: lock.path,
      holder: lock.owner ?? 'anonymous',
      lockId: lock.id,
      since: lock.createdAt,
      expiresAt: lock.expiresAt,
      ...(lock.taskId ? { taskId: lock.taskId } : {}),
    }))
}

export function lockedError(path: string, conflicts: LockConflict[], extra: Record<string, unknown> = {}): LockstepError {
  const first = conflicts[0]
  return new LockstepError(
    'LOCKED',
    `${first.path} is locked by ${first.holder} until ${first.expiresAt}${path === first.path ? '' : ` (it covers ${path})`}; wait (lock_acquire with waitMs), work on something else, or ask ${first.holder} to release it.`,
    { path: first.path, holder: first.holder, lockId: first.lockId, since: first.since, expiresAt: first.expiresAt, ...(first.taskId ? { taskId: first.taskId } : {}), conflicts, ...extra },
  )
}

/** Lock every path for `owner`, bound to `taskId`: all or nothing (LOCKED lists every conflict). */
export function lockTaskFiles(docs: Pick<Docs, 'locks'>, tx: DomainTx<DocName>, task: Task, owner: string, sessionId?: string): Lock[] {
  const conflicts = task.files.flatMap((path) => conflictsFor(docs.locks.locks, path, owner))
  if (conflicts.length) throw lockedError(conflicts[0].path, conflicts, { taskId: task.id })
  const now = tx.now.toISOString()
  const expiresAt = new Date(tx.now.getTime() + tx.ctx.settings.leaseTtlSec * 1000).toISOString()
  return task.files.map((path) => {
    const lock: Lock = { id: newId('lock'), path, owner, taskId: task.id, status: 'active', createdAt: now, updatedAt: now, expiresAt, ...(sessionId ? { sessionId } : {}) }
    docs.locks.locks.push(lock)
    tx.emit({ type: 'lock.acquired', actor: tx.actor, ids: { lockId: lock.id, path }, data: { owner, taskId: task.id } })
    return lock
  })
}

/** todo → in_progress for `owner`, with its file locks in the same step. The caller has checked the state machine. */
export function takeClaim(docs: ClaimDocs, tx: DomainTx<DocName>, task: Task, owner: string): Lock[] {
  const sessionId = tx.ctx.caller.binding ? tx.ctx.caller.sessionId : undefined
  const locks = lockTaskFiles(docs, tx, task, owner, sessionId)
  const now = tx.now.toISOString()
  Object.assign(task, {
    status: 'in_progress',
    owner,
    claimedAt: now,
    leaseExpiresAt: new Date(tx.now.getTime() + tx.ctx.settings.leaseTtlSec * 1000).toISOString(),
    updatedAt: now,
    version: task.version + 1,
  })
  if (sessionId) task.leaseSessionId = sessionId
  else delete task.leaseSessionId
  if (docs.project.status === 'planning' || docs.project.status === 'ready') setProjectStatus(docs, tx, 'in_progress')
  tx.emit({ type: 'task.claimed', actor: tx.actor, ids: { taskId: task.id }, data: { owner } })
  return locks
}

export function setProjectStatus(docs: Pick<Docs, 'project'> & Partial<Pick<Docs, 'agents'>>, tx: DomainTx<DocName>, to: Docs['project']['status']): void {
  const from = docs.project.status
  if (from === to) return
  docs.project.status = to
  if (docs.project.context) docs.project.context.updatedAt = tx.now.toISOString()
  tx.emit({ type: 'project.status_changed', actor: tx.actor, ids: {}, for: namesWithRole(docs, 'implementer'), data: { from, to } })
}

export function namesWithRole(docs: Partial<Pick<Docs, 'agents'>>, role: 'planner' | 'implementer'): string[] {
  return (docs.agents?.agents ?? []).filter((agent) => agent.role === role).map((agent) => agent.name)
}

/** Why a task cannot be claimed by `owner` now, or null. Mirrors the state machine of TOOLS §3. */
export function claimRefusal(docs: ClaimDocs, task: Task, owner: string): LockstepError | null {
  const status = docs.project.status
  if (status === 'stopped' || status === 'complete') {
    return new LockstepError('CONFLICT', `The project is ${status}; claims are refused. Wait for the planner (events_wait for project.status_changed).`, { projectStatus: status })
  }
  if (task.status !== 'todo') {
    const mine = sameName(task.owner, owner)
    return new LockstepError(
      'CONFLICT',
      `Task ${task.id} is ${task.status}${task.owner ? `, owned by ${task.owner}` : ''}; only todo tasks can be claimed.${mine ? '' : ' Use task_claim_next to get another task.'}`,
      { id: task.id, status: task.status, ...(task.owner ? { owner: task.owner } : {}) },
    )
  }
  if (task.owner && !sameName(task.owner, owner)) {
    return new LockstepError('CONFLICT', `Task ${task.id} is assigned to ${task.owner}; only ${task.owner} may claim it. Use task_claim_next for another task.`, {
      id: task.id,
      assignee: task.owner,
    })
  }
  const blockedBy = blockersOf(docs.tasks.tasks, task)
  if (blockedBy.length) {
    return new LockstepError('CONFLICT', `Task ${task.id} waits on ${blockedBy.map((item) => `${item.id} (${item.status})`).join(', ')}; claim it when they are done.`, {
      id: task.id,
      blockedBy,
    })
  }
  return null
}

export function blockersOf(tasks: Task[], task: Task): { id: string; title: string; status: Task['status'] }[] {
  return task.dependsOn
    .map((id) => tasks.find((item) => item.id === id))
    .filter((item): item is Task => item !== undefined && item.status !== 'done')
    .map((item) => ({ id: item.id, title: item.title, status: item.status }))
}

/** Post the all-done note once, when every task is done; re-arm when one is not. */
export function allDoneCheck(docs: Pick<Docs, 'project' | 'tasks' | 'notes'> & Partial<Pick<Docs, 'agents'>>, tx: DomainTx<DocName>): void {
  const tasks = docs.tasks.tasks
  const allDone = tasks.length > 0 && tasks.every((task) => task.status === 'done')
  if (!allDone) {
    docs.project.allDoneAnnounced = false
    return
  }
  if (docs.project.allDoneAnnounced) return
  docs.project.allDoneAnnounced = true
  tx.note(`[SYSTEM] All ${tasks.length} tasks are done. Planner: check the result, then project_status_set complete, or add tasks.`)
  tx.emit({ type: 'project.all_tasks_done', actor: 'system', ids: {}, for: namesWithRole(docs, 'planner'), data: { total: tasks.length } })
}

export { hasLease }
