import type { Agent, Lock, Task } from '../state/schema.js'
import { blockersOf } from './claim.js'

export type PublicTask = Omit<Task, 'leaseSessionId'>
export type ListedTask = PublicTask & { blockedBy?: string[]; ready?: true }

export function publicTask(task: Task): PublicTask {
  const { leaseSessionId: _internal, ...rest } = task
  return rest
}

export function listedTask(task: Task, all: Task[]): ListedTask {
  const blockedBy = blockersOf(all, task).map((item) => item.id)
  return { ...publicTask(task), ...(blockedBy.length ? { blockedBy } : {}), ...(task.status === 'todo' && !blockedBy.length ? { ready: true as const } : {}) }
}

/** A task as a list shows it by default: what it is and where it stands, without timestamps or history. */
export function taskRow(task: ListedTask) {
  const { id, title, status, complexity, priority, owner, files, dependsOn, tags, blockedBy, ready, reviewRounds } = task
  return {
    id,
    title,
    status,
    complexity,
    priority,
    ...(owner ? { owner } : {}),
    ...(files.length ? { files } : {}),
    ...(dependsOn.length ? { dependsOn } : {}),
    ...(tags.length ? { tags } : {}),
    ...(reviewRounds ? { reviewRounds } : {}),
    ...(blockedBy ? { blockedBy } : {}),
    ...(ready ? { ready } : {}),
  }
}

export function publicLock(lock: Lock): Omit<Lock, 'sessionId'> {
  const { sessionId: _internal, ...rest } = lock
  return rest
}

const BY_COMPLEXITY: Record<Task['complexity'], string> = {
  simple: 'Implement it, then close it yourself with task_update {status: "done"}.',
  medium: 'Implement it, then task_submit_for_review with what you changed and how you tested it.',
  complex: 'If the approach is unclear, open a discussion with the planner first (discussion_start); submit for review when done.',
  critical: 'Agree the approach with the planner in a discussion (discussion_start) before changing anything, then submit for review.',
}

/** The `_instruction` of a claim (task_claim, task_claim_next): what to do by complexity, the lease, the locks and where to work. */
export function claimInstruction(task: Task, locks: Lock[], agent?: Agent): string {
  const lines = [`You own ${task.id} "${task.title}" (${task.complexity}). ${BY_COMPLEXITY[task.complexity]}`]
  lines.push(`Your lease runs until ${task.leaseExpiresAt}; any lockstep call renews it.`)
  if (locks.length) lines.push(`Locked for you: ${locks.map((lock) => lock.path).join(', ')}. Lock any other file with lock_acquire before editing it.`)
  else lines.push('No files were locked with this task: lock each file with lock_acquire before editing it.')
  if (agent?.worktreePath) lines.push(`Work in ${agent.worktreePath} on branch ${agent.branchName}; commit there, and leave .lockstep/ alone.`)
  return lines.join('\n')
}
