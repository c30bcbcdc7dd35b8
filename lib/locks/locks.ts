import * as v from 'valibot'
import type { Ctx } from '../state/context.js'
import { LockstepError } from '../errors.js'
import { newId } from '../core/ids.js'
import { identityFor, requirePlanner } from '../state/identity.js'
import { lockPathsOverlap, normaliseLockPath } from './lock-paths.js'
import { resolveLock } from '../state/leases.js'
import { HISTORY_MS, RESOLVED_LOCKS_KEPT, mutate } from '../state/project-tx.js'
import { projectFor, workRootFor } from '../state/projects.js'
import type { Lock } from '../state/schema.js'
import { Id, Name, ProjectRoot, parseInput } from '../core/validate.js'
import { conflictsFor, lockedError } from './conflicts.js'
import { sameName } from '../core/names.js'
import { readLeasedState } from '../tasks/task-queries.js'
import { publicLock } from '../tasks/task-views.js'

// revocations and forced releases also need notes and agents: they ask for them (tx.require) when they happen
const LOCK_DOCS = ['tasks', 'locks'] as const
const LockPath = v.pipe(v.string(), v.minLength(1), v.maxLength(1024))

export const AcquireLockInput = v.strictObject({
  path: LockPath,
  owner: v.optional(Name),
  note: v.optional(v.pipe(v.string(), v.maxLength(500))),
  taskId: v.optional(Id),
  waitMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(60_000)), 0),
  projectRoot: ProjectRoot,
})

/** Lock a path or glob for the caller, waiting up to `waitMs` for a conflict to clear. Throws LOCKED, NOT_FOUND, FORBIDDEN. */
export async function acquireLock(ctx: Ctx, raw: unknown) {
  const input = parseInput(AcquireLockInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const owner = await identityFor(ctx, project, input.owner, 'owner')
  const path = normaliseLockPath(input.path, workRootFor(ctx, project))
  const started = Date.now()
  const deadline = started + input.waitMs
  for (;;) {
    try {
      return await mutate(
        ctx,
        project,
        [...LOCK_DOCS],
        (docs, tx) => {
          if (input.taskId) {
            const task = docs.tasks.tasks.find((item) => item.id === input.taskId)
            if (!task) throw new LockstepError('NOT_FOUND', `No task ${input.taskId}; bind the lock to a task you own, or leave taskId out.`, { taskId: input.taskId })
            if (!sameName(task.owner, owner)) {
              throw new LockstepError('FORBIDDEN', `Task ${task.id} belongs to ${task.owner ?? 'nobody'}, not ${owner}; bind locks only to your own tasks.`, { taskId: task.id, owner: task.owner })
            }
          }
          const conflicts = conflictsFor(docs.locks.locks, path, owner)
          if (conflicts.length) throw lockedError(path, conflicts)
          const now = tx.now.toISOString()
          const expiresAt = new Date(tx.now.getTime() + ctx.settings.leaseTtlSec * 1000).toISOString()
          const mine = owner === 'anonymous' ? undefined : owner
          const existing = docs.locks.locks.find((lock) => lock.status === 'active' && lock.path === path && sameName(lock.owner, mine))
          if (existing && mine) {
            Object.assign(existing, { expiresAt, updatedAt: now, ...(input.note ? { note: input.note } : {}), ...(input.taskId ? { taskId: input.taskId } : {}) })
            return { ...publicLock(existing), renewed: true }
          }
          const sessionId = ctx.caller.binding ? ctx.caller.sessionId : undefined
          const lock: Lock = {
            id: newId('lock'),
            path,
            ...(mine ? { owner: mine } : {}),
            ...(input.note ? { note: input.note } : {}),
            ...(input.taskId ? { taskId: input.taskId } : {}),
            status: 'active',
            createdAt: now,
            updatedAt: now,
            expiresAt,
            ...(sessionId ? { sessionId } : {}),
          }
          docs.locks.locks.push(lock)
          tx.emit({ type: 'lock.acquired', actor: tx.actor, ids: { lockId: lock.id, path }, data: { owner: mine ?? 'anonymous' } })
          return publicLock(lock)
        },
        { actor: owner },
      )
    } catch (error) {
      const remaining = deadline - Date.now()
      if (!(error instanceof LockstepError) || error.code !== 'LOCKED') throw error
      if (remaining <= 0 || ctx.signal?.aborted) throw input.waitMs ? waitedError(error, Date.now() - started) : error
      // no store lock is held while waiting: wake on any change to the project's files
      await ctx.store.waitForChange(project, remaining, ctx.signal)
    }
  }
}

export const ReleaseLockInput = v.strictObject({
  path: v.optional(LockPath),
  id: v.optional(Id),
  owner: v.optional(Name),
  force: v.optional(v.boolean(), false),
  projectRoot: ProjectRoot,
})

/** Release the caller's lock by path or id; another holder's needs the planner's `force`. Throws NOT_FOUND, FORBIDDEN. */
export async function releaseLock(ctx: Ctx, raw: unknown) {
  const input = parseInput(ReleaseLockInput, raw)
  if (!input.path && !input.id) throw new LockstepError('INVALID_INPUT', 'Pass path or id of the lock to release (lock_list shows them).', { property: 'path' })
  if (input.force) requirePlanner(ctx, 'lock_release with force')
  const project = projectFor(ctx, input.projectRoot)
  const owner = await identityFor(ctx, project, input.owner, 'owner')
  const path = input.path ? normaliseLockPath(input.path, workRootFor(ctx, project)) : undefined
  return mutate(
    ctx,
    project,
    [...LOCK_DOCS],
    (docs, tx) => {
      const active = docs.locks.locks.filter((lock) => lock.status === 'active' && (input.id ? lock.id === input.id : lock.path === path))
      const lock = active.find((item) => sameName(item.owner, owner)) ?? active.find((item) => !item.owner) ?? active[0]
      if (!lock) {
        const overlapping = path ? docs.locks.locks.filter((item) => item.status === 'active' && lockPathsOverlap(item.path, path)).map(publicLock) : []
        throw new LockstepError('NOT_FOUND', `No active lock ${input.id ?? `on ${path}`}; lock_list shows the active locks${overlapping.length ? ` (${overlapping.length} overlap it)` : ''}.`, {
          ...(input.id ? { id: input.id } : { path }),
          overlapping,
        })
      }
      const theirs = lock.owner && !sameName(lock.owner, owner)
      if (theirs && !input.force) {
        throw new LockstepError('FORBIDDEN', `${lock.path} is held by ${lock.owner}, not ${owner}; ask ${lock.owner} to release it, or a planner can pass force: true.`, {
          path: lock.path,
          holder: lock.owner,
          lockId: lock.id,
        })
      }
      if (theirs) {
        resolveLock(lock, 'forced', tx.actor, tx.now)
        tx.note(`[SYSTEM] ${tx.actor} force-released ${lock.path} (held by ${lock.owner}).`)
        tx.emit({ type: 'lock.revoked', actor: tx.actor, ids: { lockId: lock.id, path: lock.path }, for: [lock.owner!], data: { owner: lock.owner, reason: 'forced' } })
        tx.notify(lock.owner!, {
          kind: 'lock_revoked',
          id: lock.id,
          path: lock.path,
          reason: 'forced',
          by: tx.actor,
          message: `${tx.actor} force-released your lock on ${lock.path}; acquire it again before editing.`,
        })
      } else {
        resolveLock(lock, 'released', tx.actor, tx.now)
        tx.emit({ type: 'lock.released', actor: tx.actor, ids: { lockId: lock.id, path: lock.path }, data: { owner: lock.owner ?? 'anonymous', reason: 'released' } })
      }
      return publicLock(lock)
    },
    { actor: ctx.caller.binding || ctx.caller.fixedActor ? undefined : owner },
  )
}

export const ListLocksInput = v.strictObject({
  status: v.optional(v.picklist(['active', 'resolved']), 'active'),
  owner: v.optional(Name),
  taskId: v.optional(Id),
  path: v.optional(LockPath),
  projectRoot: ProjectRoot,
})

/** Active locks in createdAt order, or the kept history newest first. */
export async function listLocks(ctx: Ctx, raw: unknown) {
  const input = parseInput(ListLocksInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const path = input.path ? normaliseLockPath(input.path, workRootFor(ctx, project)) : undefined
  const { locks, history } = await readLeasedState(ctx, project)
  const matching = (input.status === 'active' ? locks.filter((lock) => lock.status === 'active') : keptHistory([...history, ...locks], ctx.store.now()))
    .filter((lock) => !input.owner || sameName(lock.owner, input.owner))
    .filter((lock) => !input.taskId || lock.taskId === input.taskId)
    .filter((lock) => !path || lockPathsOverlap(lock.path, path))
  const ordered = input.status === 'active' ? matching.sort((a, b) => a.createdAt.localeCompare(b.createdAt)) : matching.sort((a, b) => (b.releasedAt ?? '').localeCompare(a.releasedAt ?? ''))
  return ordered.map(publicLock)
}

/** The resolved locks that count as history: of the last 7 days, the newest 500 (the history is trimmed in batches). */
function keptHistory(locks: Lock[], now: Date): Lock[] {
  const cutoff = new Date(now.getTime() - HISTORY_MS).toISOString()
  return locks
    .filter((lock) => lock.status === 'resolved' && (lock.releasedAt ?? lock.updatedAt) >= cutoff)
    .sort((a, b) => (b.releasedAt ?? '').localeCompare(a.releasedAt ?? ''))
    .slice(0, RESOLVED_LOCKS_KEPT)
}

/** A LOCKED answer after waiting: says how long it waited, and does not suggest waiting again. */
function waitedError(error: LockstepError, waitedMs: number): LockstepError {
  const { path, holder, expiresAt } = error.data as { path: string; holder: string; expiresAt: string }
  return new LockstepError(
    'LOCKED',
    `${path} is still locked by ${holder} (until ${expiresAt}) after waiting ${waitedMs} ms; work on something else, or ask ${holder} to release it (discussion_start).`,
    { ...error.data, waitedMs },
  )
}
