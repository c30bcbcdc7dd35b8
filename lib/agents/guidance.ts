import type { Docs } from '../state/domain-tx.js'
import type { Agent, Task } from '../state/schema.js'
import { blockersOf } from '../tasks/claim.js'
import { sameName } from '../core/names.js'

export interface TaskCounts {
  total: number
  todo: number
  inProgress: number
  blocked: number
  review: number
  done: number
}

function taskCounts(tasks: Task[]): TaskCounts {
  const counts = { total: tasks.length, todo: 0, inProgress: 0, blocked: 0, review: 0, done: 0 }
  for (const task of tasks) {
    if (task.status === 'in_progress') counts.inProgress++
    else counts[task.status]++
  }
  return counts
}

const COMPLEXITY_GUIDE =
  'Complexity: simple = 1-2 files, obvious (no review); medium = a few files or some ambiguity; complex = many files or design choices; critical = schema, security or cross-cutting (agree in a discussion first).'

interface PlannerState {
  docs: Pick<Docs, 'project' | 'agents' | 'tasks'>
  contextView: unknown
  implementers: { total: number; active: number; alive: number }
  inbox: number
}

/** The planner's phase and instruction, as coordination_init returns them: the first matching row wins. */
export function plannerGuidance({ docs, contextView, implementers, inbox }: PlannerState): Record<string, unknown> {
  const context = docs.project.context
  const tasks = docs.tasks.tasks
  const summary = taskCounts(tasks)
  if (!context) {
    return {
      status: 'needs_context',
      phase: 'gather_info',
      message: 'No project context yet.',
      steps: [
        'Acknowledge the request, or ask the user what to build.',
        'Read the README and manifests (package.json, pyproject.toml, …); summarise what you learn.',
        'Ask the user for the end state, acceptance criteria, constraints and implementer type (claude or codex); wait for the answers, do not guess.',
        'Then call project_context_set with description, endState, acceptanceCriteria, constraints and preferredImplementer.',
      ],
      instruction: 'Follow the steps in order; plan nothing before the user answers.',
    }
  }
  if (!context.implementationPlan.length) {
    return {
      status: 'needs_plan',
      phase: 'create_plan',
      projectContext: contextView,
      instruction:
        'Draft numbered steps with reasons and trade-offs, present them and revise them with the user. Once approved, save them: project_context_set {implementationPlan: [...], status: "ready"}.',
    }
  }
  if (docs.project.status === 'stopped') {
    return { status: 'stopped', phase: 'stopped', projectContext: contextView, taskSummary: summary, instruction: 'Work is halted; tell the user. Resume only when asked, with project_status_set.' }
  }
  if (docs.project.status === 'complete') {
    return {
      status: 'complete',
      phase: 'complete',
      projectContext: contextView,
      taskSummary: summary,
      instruction: 'The project is marked complete. Confirm with the user; creating a task reopens it.',
    }
  }
  const preferredImplementer = context.preferredImplementer ?? 'claude'
  if (!tasks.length) {
    return {
      status: 'needs_tasks',
      phase: 'create_tasks',
      projectContext: contextView,
      preferredImplementer,
      instruction: [
        'Turn the plan into tasks with task_create: complexity, files, dependsOn, priority.',
        COMPLEXITY_GUIDE,
        `Ask the user how many implementers to run, then launch_implementer {type: "${preferredImplementer}"} each (isolation "worktree" for overlapping parallel work).`,
      ].join('\n'),
    }
  }
  const pendingReviews = tasks.filter((task) => task.status === 'review').map((task) => ({ id: task.id, title: task.title, owner: task.owner, round: task.reviewRounds }))
  const steps: string[] = []
  if (pendingReviews.length) steps.push(`Review ${pendingReviews.length} submission(s): worktree_merge first for worktree tasks, then task_approve or task_request_changes with concrete feedback.`)
  if (inbox) steps.push(`Answer ${inbox} discussion(s) in discussion_inbox.`)
  const remaining = tasks.filter((task) => task.status !== 'done').length
  if (remaining && !implementers.alive) steps.push('Work remains and no implementer is alive: ask the user before launch_implementer.')
  if (!remaining) steps.push('Every task is done: verify with the user, then project_status_set {status: "complete"}.')
  steps.push('When idle, events_wait. You coordinate and review; do not edit code or run builds.')
  return {
    status: 'monitoring',
    phase: 'monitor',
    projectContext: contextView,
    preferredImplementer,
    taskSummary: summary,
    pendingReviews,
    implementers,
    inbox,
    instruction: steps.map((step, index) => `${index + 1}. ${step}`).join('\n'),
  }
}

const IMPLEMENTER_LOOP = [
  '1. Answer discussion_inbox.',
  '2. Finish your own tasks first.',
  '3. Else task_claim_next.',
  '4. Follow its _instruction; lock_acquire other files first; in a worktree, commit there.',
  '5. Close: simple via task_update {status:"done"}, else task_submit_for_review (what changed, how tested).',
  "6. Continue; don't wait for the user.",
  '7. Nothing to claim: events_wait({mine:true}).',
  '8. Stop if the project is stopped or a notice says so.',
  '9. Call lockstep at least every 15 min (leases).',
].join('\n')

/** The implementer's status and instruction, as coordination_init returns them. */
export function implementerGuidance(docs: Pick<Docs, 'project' | 'tasks'>, agent: Agent): Record<string, unknown> {
  const tasks = docs.tasks.tasks
  const owned = tasks.filter((task) => sameName(task.owner, agent.name) && task.status !== 'done')
  // ids and statuses only: task_list {owner} has the rest, and every byte here is paid on each re-orientation
  const base = { yourTasks: owned.map((task) => ({ id: task.id, status: task.status })) }
  if (docs.project.status === 'stopped') return { ...base, status: 'stopped', message: 'The project is stopped.', instruction: 'Stop now, start nothing, and wait for the user.' }
  const todo = tasks.filter((task) => task.status === 'todo')
  const ready = todo.filter((task) => blockersOf(tasks, task).length === 0 && (!task.owner || sameName(task.owner, agent.name)))
  // a ready task in a project marked complete is still work: task_claim_next takes it and reopens the project
  if (docs.project.status === 'complete' && !ready.length) {
    // completing with open tasks cancels or moves them and tells their owners; tasks still owned here are unfinished work
    const instruction = owned.length ? `You still own ${owned.length} open task(s): keep them, and ask the planner with discussion_start whether to finish them.` : 'Nothing is left for you: stop.'
    return { ...base, status: 'complete', message: 'The project is marked complete.', instruction }
  }
  const inProgress = owned.filter((task) => task.status === 'in_progress')
  if (inProgress.length || ready.length) return { ...base, status: 'ready', availableTasks: ready.length, instruction: IMPLEMENTER_LOOP }
  const reason = !docs.project.context ? 'no_context' : !todo.length ? 'none_left' : todo.every((task) => blockersOf(tasks, task).length > 0) ? 'all_blocked' : 'all_assigned'
  return {
    ...base,
    status: 'waiting',
    reason,
    message: {
      no_context: 'No project context yet.',
      none_left: 'No todo tasks are left.',
      all_blocked: 'Every todo task waits on dependencies.',
      all_assigned: 'Every ready task is assigned to someone else.',
    }[reason],
    instruction: 'Wait with events_wait({types: ["task.*", "project.status_changed"]}), then call task_claim_next again.',
  }
}

/** The context in brief: what a planner sees in coordination_init; project_context_get gives all of it. */
export function contextBrief(doc: Docs['project']): Record<string, unknown> | null {
  const context = doc.context
  if (!context) return null
  return { goal: clip(context.description, 160), endState: clip(context.endState, 160), criteria: context.acceptanceCriteria.length, planSteps: context.implementationPlan.length }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
