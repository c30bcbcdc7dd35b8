// The git layer's one way in. The operations load isomorphic-git on their first call, so that a server that never
// touches a worktree starts without it (it is the largest module of the server by far).
import type * as Commit from './commit-all.js'
import type * as Create from './worktree-create.js'
import type * as List from './worktree-list.js'
import type * as Merge from './worktree-merge.js'
import type * as Remove from './worktree-remove.js'
import type * as Status from './worktree-status.js'

export { findMainWorkingTree, locateRepo, type RepoLocation } from '../../storage/git-top.js'
export type { CreatedWorktree, CreateWorktreeOptions } from './worktree-create.js'
export type { WorktreeStatus, WorktreeStatusOptions } from './worktree-status.js'
export type { MergeResult, MergeWorktreeOptions } from './worktree-merge.js'
export type { ListWorktreesOptions, WorktreeEntry } from './worktree-list.js'
export type { PruneWorktreesOptions, RemovedWorktree, RemoveWorktreeOptions } from './worktree-remove.js'
export type { CommitAllOptions } from './commit-all.js'
export type { CommitSummary, FileChange, RepoLock } from './types.js'

export const createWorktree: typeof Create.createWorktree = async (raw) => (await import('./worktree-create.js')).createWorktree(raw)
export const worktreeStatus: typeof Status.worktreeStatus = async (raw) => (await import('./worktree-status.js')).worktreeStatus(raw)
export const mergeWorktree: typeof Merge.mergeWorktree = async (raw) => (await import('./worktree-merge.js')).mergeWorktree(raw)
export const listWorktrees: typeof List.listWorktrees = async (raw) => (await import('./worktree-list.js')).listWorktrees(raw)
export const removeWorktree: typeof Remove.removeWorktree = async (raw) => (await import('./worktree-remove.js')).removeWorktree(raw)
export const pruneWorktrees: typeof Remove.pruneWorktrees = async (raw) => (await import('./worktree-remove.js')).pruneWorktrees(raw)
export const commitAll: typeof Commit.commitAll = async (raw) => (await import('./commit-all.js')).commitAll(raw)
