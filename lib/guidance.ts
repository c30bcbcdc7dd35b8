import type { Docs } from './project-tx.js'
import type { Agent, Task } from './schema.js'
import { blockersOf, sameName } from './_claims.js'

export interface TaskCounts {
  total: number
  todo: number
  inProgress: number
  blocked: number
  review: number
  done: number
}

export function taskCounts(tasks: Task[]): TaskCounts {
  const counts = { total: tasks.length, todo: 0, inProgress: 0, blocked: 0, review: 0, done: 0 }
  for (const task of tasks) {
    if (task.status === 'in_progress') counts.inProgress++
    else counts[task.status]++
  }
  return counts
}

const COMPLEXITY_GUIDE =
  'Complexity: simple = one or two files and an obvious change (the implementer closes it); medium = a few files or some ambiguity (reviewed); complex = many files or design choices (reviewed, discuss if unclear); critical = schema, security or cross-cutting changes (agree first in a discussion).'

interface PlannerState {
  docs: Pick<Docs, 'project' | 'agents' | 'tasks'>
  contextView: unknown
  implementers: { total: number; active: number; alive: number }
  inbox: number
}

/** The planner's phase and instruction (TOOLS §11.1): the first matching row wins. */
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
        'Read the README and the manifest files (package.json, pyproject.toml, …) and summarise what you learn.',
        'Ask the user for the end state, the acceptance criteria, the constraints and the implementer type (claude or codex); wait for the answers, do not guess.',
        'Then call project_context_set with description, endState, acceptanceCriteria, constraints and preferredImplementer.',
      ],
      instruction:
        'Gather the project context before planning: read the README and manifests, ask the user for the end state, acceptance criteria, constraints and implementer type (claude or codex), wait for the answers, then call project_context_set.',
    }
  }
  if (!context.implementationPlan.length) {
    return {
      status: 'needs_plan',
      phase: 'create_plan',
      projectContext: contextView,
      instruction:
        'Draft numbered implementation steps with their reasons and trade-offs, present them to the user and revise them together. After the user approves, save them with project_context_set {implementationPlan: [...], status: "ready"}.',
    }
  }
  if (docs.project.status === 'stopped') {
    return { status: 'stopped', phase: 'stopped', projectContext: contextView, taskSummary: summary, instruction: 'Work is halted; tell the user. Resume only when asked, with project_status_set.' }
  }
  if (docs.project.status === 'complete') {
    return { status: 'complete', phase: 'complete', projectContext: contextView, taskSummary: summary, instruction: 'The project is marked complete. Confirm with the user; creating a task reopens it.' }
  }
  const preferredImplementer = context.preferredImplementer ?? 'claude'
  if (!tasks.length) {
    return {
      status: 'needs_tasks',
      phase: 'create_tasks',
      projectContext: contextView,
      preferredImplementer,
      instruction: [
        'Turn the plan into tasks with task_create, each with a complexity, files, dependsOn and a priority.',
        COMPLEXITY_GUIDE,
        `Ask the user how many implementers to run, then call launch_implementer {type: "${preferredImplementer}"} for each (isolation "worktree" for parallel work on overlapping areas).`,
      ].join('\n'),
    }
  }
  const pendingReviews = tasks.filter((task) => task.status === 'review').map((task) => ({ id: task.id, title: task.title, owner: task.owner, round: task.reviewRounds }))
  const steps: string[] = []
  if (pendingReviews.length) steps.push(`Review ${pendingReviews.length} submission(s): for worktree tasks worktree_merge first, then task_approve or task_request_changes with concrete feedback.`)
  if (inbox) steps.push(`Answer ${inbox} discussion(s) waiting on you (discussion_inbox).`)
  const remaining = tasks.filter((task) => task.status !== 'done').length
  if (remaining && !implementers.alive) steps.push('Work remains and no implementer is alive: ask the user before launching one with launch_implementer.')
  if (!remaining) steps.push('Every task is done: verify the result with the user, then call project_status_set {status: "complete"}.')
  steps.push('When idle, wait with events_wait. You coordinate and review; do not edit code or run builds yourself.')
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
  '1. Check discussion_inbox and answer what waits on you.',
  '2. Finish your own tasks first: in_progress ones, and any returned with changes requested.',
  '3. Otherwise call task_claim_next.',
  '4. Follow its _instruction. Lock any file outside the task\'s files with lock_acquire before editing it. In a worktree, commit to your branch.',
  '5. Close the task: simple tasks with task_update {status: "done"}; others with task_submit_for_review and notes on what you changed and how you tested it.',
  '6. Continue with the next task; do not wait for the user between tasks.',
  '7. When nothing is claimable, wait with events_wait({mine: true}).',
  '8. Stop at once when you see stopped or complete, or receive a stop notice.',
  '9. During long edits, make any lockstep call at least every 15 minutes to keep your leases.',
].join('\n')

/** The implementer's status and instruction (TOOLS §11.2). */
export function implementerGuidance(docs: Pick<Docs, 'project' | 'tasks'>, agent: Agent, contextView: unknown): Record<string, unknown> {
  const tasks = docs.tasks.tasks
  const yourTasks = tasks.filter((task) => sameName(task.owner, agent.name) && task.status !== 'done').map((task) => ({ id: task.id, title: task.title, status: task.status }))
  const base = { yourTasks }
  if (docs.project.status === 'stopped') return { ...base, status: 'stopped', message: 'The project is stopped.', instruction: 'Stop now, start nothing, and wait for the user.' }
  if (docs.project.status === 'complete') return { ...base, status: 'complete', message: 'The project is complete.', instruction: 'The work is finished; stop.' }
  const todo = tasks.filter((task) => task.status === 'todo')
  const ready = todo.filter((task) => blockersOf(tasks, task).length === 0 && (!task.owner || sameName(task.owner, agent.name)))
  const inProgress = tasks.filter((task) => task.status === 'in_progress' && sameName(task.owner, agent.name)).map((task) => ({ id: task.id, title: task.title }))
  if (inProgress.length || ready.length) {
    // tasks may exist before the planner sets a context: leave the field out rather than send null
    return { ...base, status: 'ready', ...(contextView ? { projectContext: contextView } : {}), availableTasks: ready.length, inProgressTasks: inProgress, instruction: IMPLEMENTER_LOOP }
  }
  const reason = !docs.project.context ? 'no_context' : !todo.length ? 'none_left' : todo.every((task) => blockersOf(tasks, task).length > 0) ? 'all_blocked' : 'all_assigned'
  return {
    ...base,
    status: 'waiting',
    reason,
    message: { no_context: 'The planner has not set the project context yet.', none_left: 'No todo tasks are left.', all_blocked: 'Every todo task waits on dependencies.', all_assigned: 'Every ready task is assigned to someone else.' }[reason],
    ...(contextView ? { projectContext: contextView } : {}),
    instruction: 'Wait with events_wait({types: ["task.*", "project.status_changed"]}), then call task_claim_next again.',
  }
}
