import * as v from 'valibot'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { projectIdentity } from '../../storage/projects.js'
import { DISCUSSION_PRIORITIES, DISCUSSION_STATUSES, PROJECT_STATUSES, TASK_STATUSES } from '../state/schema.js'
import { SNAPSHOT_VERSION, snapshotPath } from '../state/snapshot.js'

export const CHECK_IDS = ['project_complete', 'tasks_in_review', 'tasks_not_done', 'blocking_discussions'] as const
export type CheckId = (typeof CHECK_IDS)[number]

export interface CheckItem {
  id: string
  title: string
  status: string
  /** Discussions only: who the discussion waits on. */
  waitingOn?: string
}

export interface CheckFailure {
  check: CheckId
  message: string
  items: CheckItem[]
}

export type CheckSummary = Record<'total' | (typeof TASK_STATUSES)[number], number>

export interface CheckResult {
  ok: boolean
  /** 0: every check passed; 1: a check failed; 3: state.json is missing, invalid or newer than this build. */
  exitCode: 0 | 1 | 3
  project: { name: string; status: string } | null
  summary: CheckSummary | null
  failures: CheckFailure[]
  error?: string
}

const NOT_DONE = new Set<string>(['todo', 'in_progress', 'blocked'])

// only the fields the checks read; anything else in the file is the writer's business
const StateV1 = v.object({
  schemaVersion: v.literal(1),
  project: v.object({ name: v.string(), status: v.picklist(PROJECT_STATUSES) }),
  tasks: v.array(v.object({ id: v.string(), title: v.string(), status: v.picklist(TASK_STATUSES) })),
  discussions: v.array(
    v.object({
      id: v.string(),
      topic: v.string(),
      priority: v.picklist(DISCUSSION_PRIORITIES),
      status: v.picklist(DISCUSSION_STATUSES),
      waitingOn: v.optional(v.string()),
    }),
  ),
})
const SCHEMAS: Record<number, typeof StateV1> = { 1: StateV1 }

/** Run the CI checks (docs/cli.md#check) on the text of `.lockstep/state.json`; `null` means the file is missing. */
export function checkSnapshot(text: string | null): CheckResult {
  if (text === null) return refused('.lockstep/state.json is missing; run `lockstep-mcp init` in the project and commit .lockstep/state.json.')
  let raw: unknown
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (error) {
    return refused(`.lockstep/state.json is not valid JSON (${(error as Error).message}); restore it from git or let the server rewrite it.`)
  }
  const version = typeof raw === 'object' && raw !== null ? (raw as { schemaVersion?: unknown }).schemaVersion : undefined
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return refused('.lockstep/state.json has no valid schemaVersion; restore it from git or let the server rewrite it.')
  }
  if (version > SNAPSHOT_VERSION) {
    return refused(`.lockstep/state.json was written by a newer lockstep-mcp (schema ${version}, while this build reads up to ${SNAPSHOT_VERSION}); upgrade lockstep-mcp.`)
  }
  const parsed = v.safeParse(SCHEMAS[version], raw)
  if (!parsed.success) {
    const issue = parsed.issues[0]
    const where = issue.path?.map((item) => String(item.key)).join('.') || '(root)'
    return refused(`.lockstep/state.json is invalid at ${where}: ${issue.message}; restore it from git or let the server rewrite it.`)
  }
  const state = parsed.output
  const summary = { total: state.tasks.length } as CheckSummary
  for (const status of TASK_STATUSES) summary[status] = state.tasks.filter((task) => task.status === status).length

  const failures: CheckFailure[] = []
  if (state.project.status !== 'complete') {
    failures.push({ check: 'project_complete', message: `project status is ${state.project.status}, not complete`, items: [] })
  }
  const taskItem = (task: (typeof state.tasks)[number]): CheckItem => ({ id: task.id, title: task.title, status: task.status })
  const inReview = state.tasks.filter((task) => task.status === 'review').map(taskItem)
  if (inReview.length) failures.push({ check: 'tasks_in_review', message: `${count(inReview.length, 'task')} in review`, items: inReview })
  const notDone = state.tasks.filter((task) => NOT_DONE.has(task.status)).map(taskItem)
  if (notDone.length) failures.push({ check: 'tasks_not_done', message: `${count(notDone.length, 'task')} not done`, items: notDone })
  const blocking = state.discussions
    .filter((item) => item.priority === 'blocking' && (item.status === 'open' || item.status === 'waiting'))
    .map(({ id, topic, status, waitingOn }): CheckItem => ({ id, title: topic, status, ...(waitingOn ? { waitingOn } : {}) }))
  if (blocking.length) {
    failures.push({ check: 'blocking_discussions', message: `${count(blocking.length, 'unresolved blocking discussion')}`, items: blocking })
  }
  const ok = failures.length === 0
  return { ok, exitCode: ok ? 0 : 1, project: { name: state.project.name, status: state.project.status }, summary, failures }
}

/**
 * Run the checks on the snapshot of the project in `dir`: `<dir>/.lockstep/state.json` when that exists, else the
 * one of the main working tree that contains `dir` (so a linked worktree checks its project). Never throws.
 */
export function checkProjectDir(dir: string): CheckResult {
  let file = join(dir, '.lockstep', 'state.json')
  if (!existsSync(file)) {
    try {
      file = snapshotPath(projectIdentity(dir))
    } catch {
      return refused(`${dir} does not exist; pass the project folder with --dir.`)
    }
  }
  try {
    return checkSnapshot(readFileSync(file, 'utf8'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return checkSnapshot(null)
    return refused(`${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); check its permissions.`)
  }
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}

function refused(error: string): CheckResult {
  return { ok: false, exitCode: 3, project: null, summary: null, failures: [], error }
}
