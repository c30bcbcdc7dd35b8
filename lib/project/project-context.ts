import * as v from 'valibot'
import type { ProjectRef } from '../../storage/documents.js'
import type { Ctx } from '../state/context.js'
import { LockstepError } from '../errors.js'
import { requirePlanner } from '../state/identity.js'
import { mutate } from '../state/project-tx.js'
import { type DomainTx, type Docs } from '../state/domain-tx.js'
import { projectFor } from '../state/projects.js'
import { PROJECT_STATUSES, type DocName, type ProjectStatus, type StoredContext } from '../state/schema.js'
import { ContextList, LongText, ProjectRoot, parseInput } from '../core/validate.js'
import { setProjectStatus } from './project-status.js'
import { closeOpenTasks, OPEN_TASK_ACTIONS, refuseOpenTasks } from './project-completion.js'

const LISTS = ['techStack', 'constraints', 'acceptanceCriteria', 'tests', 'implementationPlan'] as const

export function contextView(project: ProjectRef, doc: Docs['project']) {
  if (!doc.context) return null
  return { projectRoot: project.root, projectId: project.id, ...doc.context, status: doc.status }
}

export const SetContextInput = v.strictObject({
  description: v.optional(v.pipe(LongText, v.minLength(1))),
  endState: v.optional(v.pipe(LongText, v.minLength(1))),
  techStack: v.optional(ContextList),
  constraints: v.optional(ContextList),
  acceptanceCriteria: v.optional(ContextList),
  tests: v.optional(ContextList),
  implementationPlan: v.optional(ContextList),
  preferredImplementer: v.optional(v.picklist(['claude', 'codex'])),
  status: v.optional(v.picklist(PROJECT_STATUSES)),
  projectRoot: ProjectRoot,
})

/** Create or update the project's context (upsert). Throws INVALID_INPUT, FORBIDDEN (status by an implementer). */
export async function setProjectContext(ctx: Ctx, raw: unknown) {
  const input = parseInput(SetContextInput, raw)
  if (input.status) requirePlanner(ctx, 'project_context_set with status')
  const project = projectFor(ctx, input.projectRoot)
  return mutate(ctx, project, ['project', 'agents', 'tasks', 'notes'], (docs, tx) => {
    const now = tx.now.toISOString()
    const existing = docs.project.context
    if (!existing && (!input.description || !input.endState)) {
      throw new LockstepError('INVALID_INPUT', 'The first project_context_set needs description and endState; pass both.', {
        property: input.description ? 'endState' : 'description',
      })
    }
    const next: StoredContext = existing
      ? { ...existing }
      : { name: project.name, description: '', endState: '', techStack: [], constraints: [], acceptanceCriteria: [], tests: [], implementationPlan: [], createdAt: now, updatedAt: now }
    const changes: string[] = []
    for (const field of ['description', 'endState', 'preferredImplementer', ...LISTS] as const) {
      if (input[field] === undefined || JSON.stringify(input[field]) === JSON.stringify(next[field])) continue
      Object.assign(next, { [field]: input[field] })
      changes.push(field)
    }
    if (changes.length || !existing) {
      next.updatedAt = now
      docs.project.context = next
      tx.emit({ type: 'project.context_set', actor: tx.actor, ids: {}, data: { changes } })
    }
    if (input.status === 'complete' && docs.project.status !== 'complete') refuseOpenTasks(docs)
    if (input.status) changeStatus(docs, tx, input.status)
    return { success: true as const, status: docs.project.status, changes, instruction: contextInstruction(docs) }
  })
}

function contextInstruction(docs: Pick<Docs, 'project' | 'tasks'>): string {
  const context = docs.project.context!
  if (!context.acceptanceCriteria.length) return 'Add acceptance criteria: project_context_set {acceptanceCriteria: [...]} (ask the user what "done" means).'
  if (!context.implementationPlan.length) return 'Draft a plan with the user, then save it: project_context_set {implementationPlan: [...], status: "ready"}.'
  if (!docs.tasks.tasks.length) return 'Create the tasks of the plan with task_create (complexity, files, dependsOn, priority), then launch implementers.'
  return 'Create more tasks with task_create, or launch implementers with launch_implementer.'
}

export const GetContextInput = v.strictObject({ projectRoot: ProjectRoot })

export async function getProjectContext(ctx: Ctx, raw: unknown) {
  const input = parseInput(GetContextInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const context = contextView(project, await ctx.store.read(project, 'project'))
  return context ? { found: true as const, context } : { found: false as const, message: 'No context yet; the planner sets it with project_context_set.' }
}

export const SetStatusInput = v.strictObject({
  status: v.picklist(PROJECT_STATUSES),
  force: v.optional(v.boolean(), false),
  openTasks: v.optional(v.picklist(OPEN_TASK_ACTIONS), 'cancel'),
  projectRoot: ProjectRoot,
})

/**
 * Set the project status (planner only). Completing with open tasks needs force, which closes them as `openTasks`
 * says and tells their owners. Throws NOT_FOUND (no context), CONFLICT (open tasks), FORBIDDEN.
 */
export async function setProjectStatusTool(ctx: Ctx, raw: unknown) {
  const input = parseInput(SetStatusInput, raw)
  requirePlanner(ctx, 'project_status_set')
  const project = projectFor(ctx, input.projectRoot)
  return mutate(ctx, project, ['project', 'agents', 'tasks', 'locks', 'notes'], (docs, tx) => {
    if (!docs.project.context) throw new LockstepError('NOT_FOUND', 'This project has no context yet; set it first with project_context_set.', {})
    const from = docs.project.status
    const completing = input.status === 'complete' && from !== 'complete'
    if (completing && !input.force) refuseOpenTasks(docs)
    const closed = completing ? closeOpenTasks(docs, tx, input.openTasks) : []
    const message = changeStatus(docs, tx, input.status)
    if (closed.length) tx.note(`[SYSTEM] ${closed.length} open task(s) ${input.openTasks === 'cancel' ? 'cancelled' : `moved to ${input.openTasks}`} on completion: ${closed.join(', ')}.`)
    return { success: true as const, status: docs.project.status, from, message, ...(closed.length ? { closedTasks: closed, openTasks: input.openTasks } : {}) }
  })
}

function changeStatus(docs: Pick<Docs, 'project' | 'agents' | 'notes'>, tx: DomainTx<DocName>, to: ProjectStatus): string {
  const from = docs.project.status
  if (from === to) return `The project is already ${to}.`
  setProjectStatus(docs, tx, to)
  const text =
    to === 'stopped'
      ? `[SYSTEM] Project stopped by ${tx.actor}. Implementers: stop work and wait for instructions.`
      : to === 'complete'
        ? `[SYSTEM] Project marked complete by ${tx.actor}.`
        : from === 'stopped'
          ? `[SYSTEM] Project resumed (${to}).`
          : null
  if (text) {
    tx.note(text)
    for (const agent of docs.agents.agents.filter((item) => item.role === 'implementer')) {
      tx.notify(agent.name, { kind: 'project_status', reason: 'status_changed', by: tx.actor, message: text.replace('[SYSTEM] ', '') })
    }
  }
  return `Project status: ${from} → ${to}.`
}
