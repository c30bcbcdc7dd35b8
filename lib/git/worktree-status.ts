import * as v from 'valibot'
import { LockstepError } from '../errors.js'
import { parseInput } from '../core/validate.js'
import { worktreeChanges } from './_changes.js'
import { aheadBehind, diffCommits, mergeBases, summarize } from './_history.js'
import { BranchName, Root, WorktreeName } from './_input.js'
import { mainBranch, mainHead, requireRepo, resolveBranch } from './_repo.js'
import { locateWorktree } from './_worktrees.js'
import type { CommitSummary, FileChange } from './types.js'

export const WorktreeStatusInput = v.strictObject({ root: Root, name: WorktreeName, baseBranch: v.optional(BranchName) })
export type WorktreeStatusOptions = v.InferInput<typeof WorktreeStatusInput>

export interface WorktreeStatus {
  path: string
  branch: string
  /** The branch compared against; null when none was given and the main worktree is detached (its HEAD is used). */
  baseBranch: string | null
  /** Tip of the worktree branch (its HEAD when the branch is gone), or null when there is no commit. */
  head: string | null
  ahead: number
  behind: number
  hasUncommittedChanges: boolean
  modifiedFiles: string[]
  untrackedFiles: string[]
  /** The worktree folder is gone or no longer registered with git; the branch may still exist. */
  missing: boolean
  /** The commits ahead of baseBranch, newest first, at most 50. */
  commits: CommitSummary[]
  /** Per-file changes of the branch against its merge base with baseBranch. */
  diff: FileChange[]
}

const MAX_COMMITS = 50

/** Where worktree `lockstep/<name>` stands against baseBranch (default: the main worktree's branch). Throws INVALID_INPUT, NOT_FOUND. */
export async function worktreeStatus(options: WorktreeStatusOptions): Promise<WorktreeStatus> {
  const input = parseInput(WorktreeStatusInput, options)
  const repo = requireRepo(input.root, input.name)
  const location = await locateWorktree(repo, input.name)
  const head = (await resolveBranch(repo, location.branch)) ?? (location.registered ? (location.admin?.head?.oid ?? null) : null)
  if (!head && !location.registered) {
    throw new LockstepError('NOT_FOUND', `No worktree ${input.name}: neither ${location.path} nor branch ${location.branch} exists; list worktrees with worktree_list.`, { name: input.name })
  }
  const baseBranch = input.baseBranch ?? (await mainBranch(repo))
  const baseOid = baseBranch ? await resolveBranch(repo, baseBranch) : (await mainHead(repo)).oid
  if (baseBranch && !baseOid) {
    throw new LockstepError('NOT_FOUND', `Base branch ${baseBranch} does not exist; pass an existing branch as baseBranch.`, { baseBranch })
  }
  const changes = await worktreeChanges(repo, location)
  let counts: Awaited<ReturnType<typeof aheadBehind>> = { ahead: [], behind: [] }
  let diff: FileChange[] = []
  if (head && baseOid) {
    counts = await aheadBehind(repo, head, baseOid)
    const [base] = await mergeBases(repo, head, baseOid)
    diff = await diffCommits(repo, base ?? null, head)
  }
  return {
    path: location.path,
    branch: location.branch,
    baseBranch,
    head,
    ahead: counts.ahead.length,
    behind: counts.behind.length,
    hasUncommittedChanges: changes.modified.length + changes.untracked.length > 0,
    modifiedFiles: changes.modified,
    untrackedFiles: changes.untracked,
    missing: !location.registered,
    commits: counts.ahead.slice(0, MAX_COMMITS).map(summarize),
    diff,
  }
}
