import type { ProjectRef } from '../../storage/documents.js'
import type { Ctx } from '../state/context.js'
import { isLockstepError, type LockstepError } from '../errors.js'
import { readLeasedState } from '../tasks/task-queries.js'

// The documents the status tool, `lockstep-mcp status` and the dashboard show, read lock-free from the cached copies;
// tasks and locks come with expired leases already applied.
const READERS = {
  project: (ctx: Ctx, ref: ProjectRef) => ctx.store.read(ref, 'project'),
  agents: (ctx: Ctx, ref: ProjectRef) => ctx.store.read(ref, 'agents'),
  notes: (ctx: Ctx, ref: ProjectRef) => ctx.store.read(ref, 'notes'),
  discussions: (ctx: Ctx, ref: ProjectRef) => ctx.store.read(ref, 'discussions'),
  artifacts: (ctx: Ctx, ref: ProjectRef) => ctx.store.read(ref, 'artifacts'),
  leased: (ctx: Ctx, ref: ProjectRef) => readLeasedState(ctx, ref),
}

type Key = keyof typeof READERS
export type ProjectDocuments = { [K in Key]: Awaited<ReturnType<(typeof READERS)[K]>> }
const KEYS = Object.keys(READERS) as Key[]

/** Every document of the project. Throws the first that cannot be read. */
export async function readProjectDocuments(ctx: Ctx, ref: ProjectRef): Promise<ProjectDocuments> {
  const values = await Promise.all(KEYS.map((key) => READERS[key](ctx, ref)))
  return Object.fromEntries(KEYS.map((key, index) => [key, values[index]])) as ProjectDocuments
}

/** Each document of the project, or the error that kept it from being read (a report goes on without it). */
export async function readEachProjectDocument(ctx: Ctx, ref: ProjectRef): Promise<{ [K in Key]: ProjectDocuments[K] | LockstepError }> {
  const settled = await Promise.allSettled(KEYS.map((key) => READERS[key](ctx, ref)))
  const entries = settled.map((result, index) => {
    if (result.status === 'fulfilled') return [KEYS[index], result.value]
    if (!isLockstepError(result.reason)) throw result.reason
    return [KEYS[index], result.reason]
  })
  return Object.fromEntries(entries) as { [K in Key]: ProjectDocuments[K] | LockstepError }
}
