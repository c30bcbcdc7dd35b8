export { findMainWorktree, locateRepo, type RepoLocation } from './main-worktree.js'
export { createWorktree, CreateWorktreeInput, type CreatedWorktree, type CreateWorktreeOptions } from './worktree-create.js'
export { worktreeStatus, WorktreeStatusInput, type WorktreeStatus, type WorktreeStatusOptions } from './worktree-status.js'
export { mergeWorktree, MergeWorktreeInput, type MergeResult, type MergeWorktreeOptions } from './worktree-merge.js'
export { commitAll, CommitAllInput, type CommitAllOptions } from './commit-all.js'
export { listWorktrees, ListWorktreesInput, type ListWorktreesOptions, type WorktreeEntry } from './worktree-list.js'
export {
  pruneWorktrees,
  PruneWorktreesInput,
  removeWorktree,
  RemoveWorktreeInput,
  type PruneWorktreesOptions,
  type RemovedWorktree,
  type RemoveWorktreeOptions,
} from './worktree-remove.js'
export type { CommitSummary, FileChange, RepoLock } from './types.js'
