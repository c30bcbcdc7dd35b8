import * as v from 'valibot'
import type { Ctx } from '../state/context.js'
import { identityFor } from '../state/identity.js'
import { mutate } from '../state/project-tx.js'
import { projectFor } from '../state/projects.js'
import type { Task } from '../state/schema.js'
import { Name, ProjectRoot, parseInput } from '../core/validate.js'
import { blockersOf, takeClaim } from './claim.js'
import { conflictsFor } from '../locks/conflicts.js'
import { sameName } from '../core/names.js'
import { setProjectStatus } from '../project/project-status.js'
import { claimInstruction, publicLock, publicTask } from './task-views.js'

export const ClaimNextTaskInput = v.strictObject({
  owner: v.optional(Name),
  tag: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(50))),
  projectRoot: ProjectRoot,
})

const PRIORITY_RANK: Record<Task['priority'], number> = { urgent: 0, high: 1, normal: 2, low: 3 }

const HINTS = {
  project_stopped: 'The project is stopped: stop work and wait for the planner (events_wait {types: ["project.status_changed"]}).',
  project_complete: 'The project is complete and no task is left to claim; finish what you own, then stop.',
  none_left: 'No todo tasks are left. Wait for new work with events_wait {types: ["task.*"]}, or check your own tasks in review.',
  all_locked: 'Ready tasks exist but their files are locked by others; wait with events_wait {types: ["lock.*", "task.*"]} and try again.',
  all_assigned: 'Every ready task is assigned to another agent; wait with events_wait {types: ["task.*"]} or ask the planner.',
  all_blocked: 'Every todo task waits on dependencies; wait with events_wait {types: ["task.*"]} and try again.',
} as const

/** Atomically claim the best task the caller can start now; `claimed: false` with a reason is not an error. */
export async function claimNextTask(ctx: Ctx, raw: unknown) {
  const input = parseInput(ClaimNextTaskInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const owner = await identityFor(ctx, project, input.owner, 'owner', { required: true })
  return mutate(
    ctx,
    project,
    ['project', 'agents', 'tasks', 'locks', 'notes'],
    (docs, tx) => {
      const status = docs.project.status
      if (status === 'stopped') return nothing('project_stopped')
      const all = docs.tasks.tasks
      const todo = all.filter((task) => task.status === 'todo' && (!input.tag || task.tags.includes(input.tag)))
      const ready = todo.filter((task) => blockersOf(all, task).length === 0)
      const mine = ready.filter((task) => !task.owner || sameName(task.owner, owner))
      const ordered = [...mine].sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
      const holders = new Set<string>()
      const task = ordered.find((item) => {
        const conflicts = item.files.flatMap((path) => conflictsFor(docs.locks.locks, path, owner))
        conflicts.forEach((conflict) => holders.add(conflict.holder))
        return !conflicts.length
      })
      if (status === 'complete') {
        // "complete" must never send an agent away from work it could start now: such a task reopens the project
        if (!task) return nothing('project_complete')
        setProjectStatus(docs, tx, 'in_progress')
        tx.note(`[SYSTEM] Project reopened: ${task.id} "${task.title}" was still todo and ${owner} claimed it.`)
      }
      if (task) {
        const locks = takeClaim(docs, tx, task, owner)
        const agent = docs.agents.agents.find((item) => sameName(item.name, owner))
        return { claimed: true as const, task: publicTask(task), locks: locks.map(publicLock), _instruction: claimInstruction(task, locks, agent) }
      }
      if (!todo.length) return nothing('none_left')
      const blocked = todo
        .filter((item) => blockersOf(all, item).length > 0)
        .slice(0, 20)
        .map((item) => ({ id: item.id, title: item.title, blockedBy: blockersOf(all, item).map((blocker) => blocker.id) }))
      const reason = mine.length ? 'all_locked' : ready.length ? 'all_assigned' : 'all_blocked'
      const hint = reason === 'all_locked' ? `${HINTS.all_locked} Holders: ${[...holders].join(', ')}.` : HINTS[reason]
      return { claimed: false as const, task: null, reason, ...(blocked.length ? { blocked } : {}), _hint: hint }
    },
    { actor: owner },
  )
}

function nothing(reason: 'project_stopped' | 'project_complete' | 'none_left') {
  return { claimed: false as const, task: null, reason, _hint: HINTS[reason] }
}
