import { accessSync, constants, existsSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { ProjectRef } from '../../storage/documents.js'
import { livenessOf, type Liveness } from '../agents/agent-views.js'
import type { Ctx } from '../state/context.js'
import { isLockstepError, type LockstepError } from '../errors.js'
import { guardStates, type GuardState } from '../guard/guard-setup.js'
import { INSTRUCTION_FILES, START_MARKER } from '../project/instructions.js'
import { DOCUMENTS, TASK_STATUSES, type DocName } from '../state/schema.js'
import { snapshotPath } from '../state/snapshot.js'
import { readEachProjectDocument } from '../project/project-documents.js'

export interface Problem {
  kind:
    | 'corrupt_document'
    | 'newer_schema'
    | 'unreadable_document'
    | 'event_lines'
    | 'root_missing'
    | 'network_home'
    | 'snapshot_unwritable'
    | 'store_conflict'
    | 'project_missing'
    | 'allowlist_interpreter'
  message: string
  file?: string
  backup?: string | null
  /** The full error, with how to recover. */
  detail?: string
}

export interface ImplementerStatus {
  name: string
  type: string
  status: string
  liveness: Liveness
  tmuxPane?: string
  goneSince?: string
}

export interface ProjectStatus {
  id: string
  name: string
  root: string
  storeDir: string
  storeExists: boolean
  instructions: Record<(typeof INSTRUCTION_FILES)[number], boolean>
  snapshot: boolean
  /** null when project.json cannot be read. */
  status: string | null
  tasks: Record<'total' | (typeof TASK_STATUSES)[number], number> | null
  locks: number | null
  notes: number | null
  discussions: { waiting: number; blocking: number } | null
  implementers: ImplementerStatus[] | null
  /** The edit and commit guards init installs, and whether each is in place. */
  guards: GuardState[]
}

/** The project section of `status` (docs/cli.md#status) and the problems found while reading its store. Never throws for a document. */
export async function projectStatus(ctx: Ctx, project: ProjectRef): Promise<{ project: ProjectStatus; problems: Problem[] }> {
  const problems: Problem[] = []
  const storeExists = existsSync(join(project.dir, 'project.json'))
  for (const name of Object.keys(DOCUMENTS) as DocName[]) {
    try {
      await ctx.store.read(project, name)
    } catch (error) {
      if (!isLockstepError(error)) throw error
      const problem = documentProblem(project, DOCUMENTS[name].file, error)
      if (!problems.some((seen) => seen.kind === 'store_conflict' && problem.kind === 'store_conflict')) problems.push(problem)
    }
  }
  const now = ctx.now()
  const docs = await readEachProjectDocument(ctx, project)
  const read = <T>(names: DocName[], value: T | LockstepError): T | null => {
    if (!isLockstepError(value)) return value
    // a corrupt document is reported once, by the scan above; other failures are reported here
    if (value.code !== 'CORRUPT_STATE' && value.code !== 'CONFLICT') problems.push({ kind: 'unreadable_document', message: `${names.join(', ')}: ${value.message}` })
    return null
  }
  const doc = read(['project'], docs.project)
  const leased = read(['tasks', 'locks'], docs.leased)
  const notes = read(['notes'], docs.notes)
  const discussions = read(['discussions'], docs.discussions)
  const agents = read(['agents'], docs.agents)
  if (storeExists) {
    const reader = ctx.store.eventReader(project)
    await reader.lastSeq().catch(() => 0)
    if (reader.skippedLines > 0) {
      problems.push({
        kind: 'event_lines',
        message: `journal.jsonl has ${reader.skippedLines} line(s) that do not parse; they are skipped (lockstep-mcp doctor explains)`,
        file: join(project.dir, 'journal.jsonl'),
      })
    }
  }
  const snapshot = existsSync(snapshotPath(project.root))
  problems.push(...snapshotProblems(project.root))
  let tasks: ProjectStatus['tasks'] = null
  if (leased) {
    tasks = { total: leased.tasks.length } as NonNullable<ProjectStatus['tasks']>
    for (const status of TASK_STATUSES) tasks[status] = leased.tasks.filter((task) => task.status === status).length
  }
  const open = (status: string) => status === 'open' || status === 'waiting'
  return {
    problems,
    project: {
      id: project.id,
      name: project.name,
      root: project.root,
      storeDir: project.dir,
      storeExists,
      instructions: Object.fromEntries(INSTRUCTION_FILES.map((file) => [file, hasBlock(join(project.root, file))])) as ProjectStatus['instructions'],
      snapshot,
      status: doc ? doc.status : null,
      tasks,
      locks: leased ? leased.locks.filter((lock) => lock.status === 'active').length : null,
      notes: notes ? notes.notes.length : null,
      discussions: discussions
        ? {
            waiting: discussions.discussions.filter((item) => item.status === 'waiting').length,
            blocking: discussions.discussions.filter((item) => item.priority === 'blocking' && open(item.status)).length,
          }
        : null,
      implementers: agents
        ? agents.agents
            .filter((agent) => agent.role === 'implementer')
            .map((agent) => ({
              name: agent.name,
              type: agent.type,
              status: agent.status,
              liveness: livenessOf(ctx, agent, agents.sessions, now),
              ...(agent.tmux ? { tmuxPane: agent.tmux.paneId } : {}),
              ...(agent.goneSince ? { goneSince: agent.goneSince } : {}),
            }))
        : null,
      guards: await guardStates(project.root),
    },
  }
}

function documentProblem(project: ProjectRef, file: string, error: { code: string; message: string; data: Record<string, unknown> }): Problem {
  const backup = typeof error.data['backup'] === 'string' ? error.data['backup'] : null
  if (error.code === 'CORRUPT_STATE') {
    const kept = backup ? `backup at ${relative(project.dir, backup)}` : 'no backup could be kept'
    return { kind: 'corrupt_document', message: `${file} is corrupt; ${kept}`, file: join(project.dir, file), backup, detail: error.message }
  }
  if (error.code === 'CONFLICT' && error.data['schemaVersion'] !== undefined) {
    return { kind: 'newer_schema', message: `${file} was written by a newer lockstep-mcp; upgrade lockstep-mcp`, file: join(project.dir, file), detail: error.message }
  }
  return { kind: 'store_conflict', message: error.message, file: join(project.dir, file) }
}

function hasBlock(file: string): boolean {
  try {
    return readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .some((line) => line.trim() === START_MARKER)
  } catch {
    return false
  }
}

function snapshotProblems(root: string): Problem[] {
  const folder = join(root, '.lockstep')
  if (!existsSync(folder)) return []
  for (const path of [folder, snapshotPath(root)]) {
    if (!existsSync(path)) continue
    try {
      accessSync(path, constants.W_OK)
    } catch {
      return [{ kind: 'snapshot_unwritable', message: `${path} is not writable, so .lockstep/state.json cannot be kept current; fix its permissions`, file: path }]
    }
  }
  return []
}
