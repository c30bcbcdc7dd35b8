import * as v from 'valibot'
import type { Ctx } from '../state/context.js'
import { LockstepError } from '../errors.js'
import { requirePlanner } from '../state/identity.js'
import { mutate } from '../state/project-tx.js'
import { projectFor } from '../state/projects.js'
import { ProjectRoot, parseInput } from '../core/validate.js'

export const SessionResetInput = v.strictObject({
  confirm: v.boolean(),
  keepProjectContext: v.optional(v.boolean(), false),
  projectRoot: ProjectRoot,
})

/** Clear this project's tasks, locks and notes, stop implementers and archive open discussions, after a backup. */
export async function resetSession(ctx: Ctx, raw: unknown) {
  requirePlanner(ctx, 'session_reset')
  // the explanation of what a reset deletes answers a missing confirm too, not only a false one
  if ((raw as { confirm?: unknown } | null)?.confirm !== true) {
    throw new LockstepError(
      'INVALID_INPUT',
      'session_reset deletes every task, lock and note of this project, stops all implementers, archives open discussions and clears the context (keepProjectContext: true keeps it). A backup is kept. Pass confirm: true to do it.',
      { property: 'confirm', expected: 'true' },
    )
  }
  const input = parseInput(SessionResetInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  return mutate(ctx, project, ['project', 'agents', 'tasks', 'locks', 'notes', 'discussions'], (docs, tx) => {
    const backup = tx.backup('reset')
    const counts = { tasksCleared: docs.tasks.tasks.length, locksCleared: docs.locks.locks.length + docs.locks.history.length, notesCleared: docs.notes.notes.length }
    docs.tasks.tasks = []
    docs.locks.locks = []
    docs.locks.history = []
    docs.notes.notes = []
    docs.notes.archiveFloor = docs.notes.nextSeq
    const now = tx.now.toISOString()
    const stopped = docs.agents.agents.filter((agent) => agent.role === 'implementer' && agent.status === 'active')
    for (const agent of stopped) {
      Object.assign(agent, { status: 'stopped', stoppedReason: 'reset', updatedAt: now })
      tx.notify(agent.name, { kind: 'reset', reason: 'reset', by: tx.actor, message: `${tx.actor} reset the project; stop work and wait for instructions.` })
      tx.emit({ type: 'agent.stopped', actor: tx.actor, ids: { agent: agent.name }, for: [agent.name], data: { reason: 'reset' } })
    }
    let discussionsArchived = 0
    for (const discussion of docs.discussions.discussions) {
      if (discussion.status !== 'open' && discussion.status !== 'waiting') continue
      Object.assign(discussion, { status: 'archived', archivedAt: now, updatedAt: now })
      delete discussion.waitingOn
      discussionsArchived++
    }
    if (input.keepProjectContext && docs.project.context) docs.project.status = 'planning'
    else Object.assign(docs.project, { context: null, status: 'planning' })
    docs.project.allDoneAnnounced = false
    tx.note(`[SYSTEM] Session reset by ${tx.actor}.`)
    tx.emit({ type: 'project.reset', actor: tx.actor, ids: {}, data: { changes: ['tasks', 'locks', 'notes', 'implementers', 'discussions', input.keepProjectContext ? 'status' : 'context'] } })
    return {
      success: true as const,
      ...counts,
      implementersReset: stopped.length,
      discussionsArchived,
      backup,
      message: `Reset project ${project.name}: ${counts.tasksCleared} task(s), ${counts.locksCleared} lock(s) and ${counts.notesCleared} note(s) cleared.`,
      nextSteps: input.keepProjectContext
        ? ['Review the kept context with project_context_get.', 'Create tasks again with task_create.']
        : ['Set the context again with project_context_set.', 'Draft a plan, then create tasks.'],
    }
  })
}
