import { LockstepError } from '../errors.js'
import { clearOwnership, releaseTaskLocks } from '../state/leases.js'
import type { DomainTx, Docs } from '../state/domain-tx.js'
import type { DocName, Task } from '../state/schema.js'

/** What a forced completion does with each open task: cancel it (done, tagged cancelled), or move it to done or blocked. */
export const OPEN_TASK_ACTIONS = ['cancel', 'done', 'blocked'] as const
export type OpenTaskAction = (typeof OPEN_TASK_ACTIONS)[number]

const isOpen = (task: Task) => task.status !== 'done'

/**
 * Refuse to complete a project while tasks are open (todo, in_progress, blocked, review): agents would be told the
 * work is finished while it is not. Throws CONFLICT listing them, naming `force`.
 */
export function refuseOpenTasks(docs: Pick<Docs, 'tasks'>): void {
  const open = docs.tasks.tasks.filter(isOpen)
  if (!open.length) return
  const listed = open.slice(0, 20).map((task) => ({ id: task.id, title: task.title, status: task.status, ...(task.owner ? { owner: task.owner } : {}) }))
  throw new LockstepError(
    'CONFLICT',
    `${open.length} task(s) are not done: ${listed.map((task) => `${task.id} (${task.status})`).join(', ')}. Finish or approve them first, or pass force: true (openTasks: "cancel", "done" or "blocked").`,
    { open: listed, count: open.length },
  )
}

/**
 * Close every open task for a forced completion. Owners of claimed or reviewed work get a notice saying what
 * happened to their task, with the locks released; nobody is told to stop mid-task without knowing why.
 * Returns the ids touched.
 */
export function closeOpenTasks(docs: Pick<Docs, 'tasks' | 'locks' | 'agents'>, tx: DomainTx<DocName>, action: OpenTaskAction): string[] {
  const touched: string[] = []
  const now = tx.now.toISOString()
  for (const task of docs.tasks.tasks.filter(isOpen)) {
    const owner = task.status === 'todo' ? undefined : task.owner
    const from = task.status
    releaseTaskLocks(docs, task.id, action === 'blocked' ? 'task_returned' : 'task_done', tx.actor, tx)
    if (action === 'blocked') clearOwnership(task, 'blocked', tx)
    else {
      clearOwnership(task, 'done', tx)
      task.completedAt = now
      if (action === 'cancel') {
        task.tags = [...new Set([...task.tags, 'cancelled'])]
        task.reviewFeedback = `Cancelled: project marked complete by ${tx.actor}.`
      }
    }
    // clearOwnership drops the owner; a done task keeps who did it
    if (action !== 'blocked' && owner) task.owner = owner
    const verb = action === 'cancel' ? 'cancelled' : `moved to ${task.status}`
    tx.emit({ type: 'task.updated', actor: tx.actor, ids: { taskId: task.id }, for: owner ? [owner] : [], data: { changes: ['status'], from, to: task.status } })
    if (owner) {
      tx.notify(owner, {
        kind: 'task_revoked',
        id: task.id,
        title: task.title,
        reason: 'forced',
        by: tx.actor,
        message: `${tx.actor} marked the project complete: your task ${task.id} "${task.title}" was ${verb} and its locks released. Leave that work; ask ${tx.actor} (discussion_start) if it matters.`,
      })
    }
    touched.push(task.id)
  }
  return touched
}
