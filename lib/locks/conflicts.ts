import { sameName } from '../core/names.js'
import { LockstepError } from '../errors.js'
import type { Lock } from '../state/schema.js'
import { lockPathsOverlap } from './lock-paths.js'

export interface LockConflict {
  path: string
  holder: string
  lockId: string
  since: string
  expiresAt: string
  taskId?: string
}

/** Active locks of other holders that overlap `path`. A lock without an owner belongs to nobody, so it conflicts. */
export function conflictsFor(locks: Lock[], path: string, owner: string): LockConflict[] {
  return locks
    .filter((lock) => lock.status === 'active' && !sameName(lock.owner, owner) && lockPathsOverlap(lock.path, path))
    .map((lock) => ({
      path: lock.path,
      holder: lock.owner ?? 'anonymous',
      lockId: lock.id,
      since: lock.createdAt,
      expiresAt: lock.expiresAt,
      ...(lock.taskId ? { taskId: lock.taskId } : {}),
    }))
}

export function lockedError(path: string, conflicts: LockConflict[], extra: Record<string, unknown> = {}): LockstepError {
  const first = conflicts[0]
  return new LockstepError(
    'LOCKED',
    `${first.path} is locked by ${first.holder} until ${first.expiresAt}${path === first.path ? '' : ` (it covers ${path})`}; wait (lock_acquire with waitMs), work on something else, or ask ${first.holder} to release it.`,
    { path: first.path, holder: first.holder, lockId: first.lockId, since: first.since, expiresAt: first.expiresAt, ...(first.taskId ? { taskId: first.taskId } : {}), conflicts, ...extra },
  )
}
