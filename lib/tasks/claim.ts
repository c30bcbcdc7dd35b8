import { newId } from '../core/ids.js'
import { sameName } from '../core/names.js'
import { LockstepError } from '../errors.js'
import { conflictsFor, lockedError } from '../locks/conflicts.js'
import { setProjectStatus } from '../project/project-status.js'
import type { DomainTx, Docs } from '../state/domain-tx.js'
import type { DocName, Lock, Task } from '../state/schema.js'

export type ClaimDocs = Pick<Docs, 'project' | 'agents' | 'tasks' | 'locks' | 'notes'>

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

/** Why a task cannot be claimed by `owner` now, or null. Mirrors the state machine of statusRefusal (task_update). */
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
