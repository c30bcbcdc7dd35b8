import { existsSync, promises as fsp } from 'node:fs'
import { basename, join } from 'node:path'
import type { ProjectRef } from '../../storage/documents.js'
import { agentView } from '../agents/agent-views.js'
import type { Ctx } from '../state/context.js'
import { LockstepError } from '../errors.js'
import { contextView } from '../project/project-context.js'
import { readProjectDocuments } from '../project/project-documents.js'
import { goneEvidence } from '../state/leases.js'
import { DOCUMENTS, TASK_STATUSES, type Agent, type Session } from '../state/schema.js'
import { readLeasedState } from '../tasks/task-queries.js'
import { listedTask, publicLock } from '../tasks/task-views.js'
import { byPriorityThenNewest, messagesOf, publicMessage } from '../messages/discussion-views.js'
import { sameName } from '../core/names.js'

const NOTES_SHOWN = 200
export const DOC_FILES = Object.values(DOCUMENTS).map((def) => def.file)

/** The project folders of the store, read from each folder's project.json (no identity lookup: roots may be gone). */
export async function storedProjects(dataDir: string): Promise<ProjectRef[]> {
  const base = join(dataDir, 'projects')
  const ids = await fsp.readdir(base).catch(() => [] as string[])
  const refs = await Promise.all(
    ids.map(async (id) => {
      try {
        const root = (JSON.parse(await fsp.readFile(join(base, id, 'project.json'), 'utf8')) as { root?: unknown }).root
        return typeof root === 'string' ? { id, root, name: basename(root) || root, dir: join(base, id) } : null
      } catch {
        return null
      }
    }),
  )
  return refs.filter((ref): ref is ProjectRef => ref !== null)
}

/** One project of the store by folder id. Throws NOT_FOUND. */
export async function storedProject(dataDir: string, id: string): Promise<ProjectRef> {
  const ref = (await storedProjects(dataDir)).find((item) => item.id === id)
  if (!ref) throw new LockstepError('NOT_FOUND', `No project ${id} in ${dataDir}; pick one from /api/projects.`, { projectId: id })
  return ref
}

/** The latest commit to the project, or its snapshots' (ms). */
async function lastUpdated(ref: ProjectRef): Promise<number> {
  const stats = await Promise.all([...DOC_FILES, 'journal.jsonl'].map((file) => fsp.stat(join(ref.dir, file)).catch(() => null)))
  return Math.max(0, ...stats.map((stat) => stat?.mtimeMs ?? 0))
}

/** The project picker: every project, most recently updated first, with task counts. */
export async function projectSummaries(ctx: Ctx, refs: ProjectRef[]) {
  const rows = await Promise.all(
    refs.map(async (ref) => {
      const [doc, { tasks }, updated] = await Promise.all([ctx.store.read(ref, 'project'), readLeasedState(ctx, ref), lastUpdated(ref)])
      const counts = Object.fromEntries(TASK_STATUSES.map((status) => [status, tasks.filter((task) => task.status === status).length]))
      return {
        id: ref.id,
        name: doc.context?.name ?? ref.name,
        root: ref.root,
        rootMissing: !existsSync(ref.root),
        status: doc.status,
        hasContext: doc.context !== null,
        updatedAt: new Date(updated).toISOString(),
        counts,
      }
    }),
  )
  return rows.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.id.localeCompare(b.id))
}

/** A lock whose holder's session is gone is never shown as simply held: it is being reclaimed (the page says so). */
function holderGone(ctx: Ctx, doc: { agents: Agent[]; sessions: Session[] }, owner: string | undefined, now: Date): boolean {
  const agent = owner ? doc.agents.find((item) => sameName(item.name, owner)) : undefined
  if (!agent) return false
  // a copy: the view only reports the evidence, it records nothing
  return (
    goneEvidence(
      ctx.isAlive,
      { ...agent },
      doc.sessions.map((session) => ({ ...session })),
      now.toISOString(),
      false,
    ) !== null
  )
}

/** Everything the page shows for one project, read lock-free from the cached documents. */
export async function projectView(ctx: Ctx, ref: ProjectRef) {
  const { project: doc, agents: agentsDoc, notes: notesDoc, discussions: discussionsDoc, artifacts: artifactsDoc, leased } = await readProjectDocuments(ctx, ref)
  const now = ctx.now()
  const tasks = [...leased.tasks].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
  const current = (name: string) =>
    tasks.filter((task) => sameName(task.owner, name) && task.status !== 'done' && task.status !== 'todo').map((task) => ({ id: task.id, title: task.title, status: task.status }))
  return {
    project: {
      id: ref.id,
      name: doc.context?.name ?? ref.name,
      root: ref.root,
      rootMissing: !existsSync(ref.root),
      status: doc.status,
      createdAt: doc.createdAt,
      context: contextView(ref, doc),
    },
    tasks: tasks.map((task) => listedTask(task, leased.tasks)),
    locks: leased.locks
      .filter((lock) => lock.status === 'active')
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map((lock) => ({ ...publicLock(lock), ...(holderGone(ctx, agentsDoc, lock.owner, now) ? { reclaiming: true } : {}) })),
    agents: agentsDoc.agents.map((agent) => ({ ...agentView(ctx, agent, { agents: agentsDoc }, now), currentTasks: current(agent.name) })),
    notes: notesDoc.notes.slice(-NOTES_SHOWN).reverse(),
    discussions: [...discussionsDoc.discussions].sort(byPriorityThenNewest).map((discussion) => ({
      ...discussion,
      messages: messagesOf(discussionsDoc.messages, discussion.id).map(publicMessage),
    })),
    artifacts: [...artifactsDoc.artifacts].sort((a, b) => a.name.localeCompare(b.name)),
    generatedAt: now.toISOString(),
  }
}
