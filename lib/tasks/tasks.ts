import * as v from 'valibot'
import type { Ctx } from '../state/context.js'
import { LockstepError } from '../errors.js'
import { newId } from '../core/ids.js'
import { identityFor } from '../state/identity.js'
import { normaliseLockPath } from '../locks/lock-paths.js'
import { wasRevokedFrom } from '../state/leases.js'
import { mutate, actorOf, trimmed } from '../state/project-tx.js'
import { projectFor, workRootFor } from '../state/projects.js'
import { COMPLEXITIES, ISOLATIONS, PRIORITIES, type Task } from '../state/schema.js'
import { Id, JsonObject, LongText, Name, ProjectRoot, Tags, Title, parseInput, unique } from '../core/validate.js'
import { allDoneCheck } from './all-done.js'
import { claimRefusal, takeClaim, type ClaimDocs } from './claim.js'
import { sameName } from '../core/names.js'
import { setProjectStatus } from '../project/project-status.js'
import { claimInstruction, publicLock, publicTask } from './task-views.js'

const CLAIM_DOCS = ['project', 'agents', 'tasks', 'locks', 'notes'] as const
export const FileList = v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(1024))), v.maxLength(50)))
export const IdList = v.optional(v.pipe(v.array(Id), v.maxLength(50)))

export const CreateTaskInput = v.strictObject({
  title: Title,
  complexity: v.picklist(COMPLEXITIES),
  description: v.optional(LongText),
  status: v.optional(v.picklist(['todo', 'blocked', 'in_progress'])),
  isolation: v.optional(v.picklist(ISOLATIONS)),
  owner: v.optional(Name),
  tags: v.optional(Tags),
  metadata: v.optional(JsonObject),
  dependsOn: IdList,
  files: FileList,
  priority: v.optional(v.picklist(PRIORITIES)),
  projectRoot: ProjectRoot,
})

/** Create a task. Throws INVALID_INPUT, NOT_FOUND (dependsOn), LOCKED, FORBIDDEN. */
export async function createTask(ctx: Ctx, raw: unknown) {
  const input = parseInput(CreateTaskInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const binding = ctx.caller.binding
  if (binding?.role === 'implementer' && input.owner && !sameName(input.owner, binding.name)) {
    throw new LockstepError('FORBIDDEN', `An implementer may only assign tasks to itself (${binding.name}), not ${input.owner}; leave owner out or ask the planner.`, {
      owner: input.owner,
    })
  }
  if (input.status === 'in_progress' && !input.owner) {
    throw new LockstepError('INVALID_INPUT', 'status in_progress needs an owner: pass owner, or create the task as todo and claim it.', { property: 'owner' })
  }
  const workRoot = workRootFor(ctx, project)
  const files = unique((input.files ?? []).map((path) => normaliseLockPath(path, workRoot)))
  const actor = actorOf(ctx)
  return mutate(ctx, project, [...CLAIM_DOCS], (docs, tx) => {
    const missing = (input.dependsOn ?? []).filter((id) => !docs.tasks.tasks.some((task) => task.id === id))
    if (missing.length) throw new LockstepError('NOT_FOUND', `dependsOn names unknown task(s) ${missing.join(', ')}; list the tasks with task_list.`, { missing })
    const now = tx.now.toISOString()
    const task: Task = {
      id: newId('task'),
      title: input.title,
      ...(input.description ? { description: input.description } : {}),
      status: input.status === 'blocked' ? 'blocked' : 'todo',
      complexity: input.complexity,
      isolation: input.isolation ?? 'shared',
      priority: input.priority ?? 'normal',
      ...(input.owner ? { owner: input.owner } : {}),
      tags: unique(input.tags ?? []),
      metadata: input.metadata ?? {},
      dependsOn: unique(input.dependsOn ?? []),
      files,
      reviewRounds: 0,
      createdBy: actor,
      createdAt: now,
      updatedAt: now,
      version: 1,
    }
    docs.tasks.tasks.push(task)
    tx.emit({ type: 'task.created', actor, ids: { taskId: task.id }, for: task.owner ? [task.owner] : [], data: { title: trimmed(task.title) } })
    if (docs.project.status === 'complete') {
      setProjectStatus(docs, tx, 'in_progress')
      tx.note(`[SYSTEM] Project reopened by new task "${task.title}".`)
    }
    if (input.status === 'in_progress') {
      task.version = 0
      takeClaim(docs, tx, task, input.owner!)
    }
    allDoneCheck(docs, tx)
    return publicTask(task)
  })
}

export const ClaimTaskInput = v.strictObject({ id: Id, owner: v.optional(Name), projectRoot: ProjectRoot })

/** Claim a todo task and lock its files, all or nothing. Throws NOT_FOUND, CONFLICT, LOCKED. */
export async function claimTask(ctx: Ctx, raw: unknown) {
  const input = parseInput(ClaimTaskInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const owner = await identityFor(ctx, project, input.owner, 'owner', { required: true })
  return mutate(
    ctx,
    project,
    [...CLAIM_DOCS],
    (docs, tx) => {
      const task = getTask(docs.tasks.tasks, input.id)
      const agent = docs.agents.agents.find((item) => sameName(item.name, owner))
      if (task.status === 'in_progress' && sameName(task.owner, owner)) {
        // a renewal, not a change: the task locks share the lease, and the version stays
        task.leaseExpiresAt = new Date(tx.now.getTime() + ctx.settings.leaseTtlSec * 1000).toISOString()
        const locks = docs.locks.locks.filter((lock) => lock.taskId === task.id && lock.status === 'active')
        for (const lock of locks) lock.expiresAt = task.leaseExpiresAt
        return { ...publicTask(task), locks: locks.map(publicLock), alreadyClaimed: true, _instruction: claimInstruction(task, locks, agent) }
      }
      const refusal = claimRefusal(docs, task, owner)
      if (refusal) throw revokedHint(docs, task, owner, refusal)
      const locks = takeClaim(docs, tx, task, owner)
      return { ...publicTask(task), locks: locks.map(publicLock), _instruction: claimInstruction(task, locks, agent) }
    },
    { actor: owner },
  )
}

/** When the task was yours until a revocation, say so: the agent otherwise cannot tell why its task moved on. */
function revokedHint(docs: ClaimDocs, task: Task, owner: string, refusal: LockstepError): LockstepError {
  const lost =
    wasRevokedFrom(docs.notes.notes, task.id, owner) ||
    [...docs.locks.locks, ...docs.locks.history].some((lock) => lock.taskId === task.id && sameName(lock.owner, owner) && (lock.releaseReason === 'expired' || lock.releaseReason === 'holder_gone'))
  if (!lost || task.status === 'todo') return refusal
  return new LockstepError(refusal.code, `Your lease on ${task.id} was revoked earlier, and the task has moved on. ${refusal.message}`, { ...refusal.data, revoked: true })
}

export function getTask(tasks: Task[], id: string): Task {
  const task = tasks.find((item) => item.id === id)
  if (!task) throw new LockstepError('NOT_FOUND', `No task ${id} in this project; list tasks with task_list.`, { id })
  return task
}
