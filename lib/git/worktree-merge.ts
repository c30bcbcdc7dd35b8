import fs from 'node:fs'
import { dirname, join } from 'node:path'
import git, { Errors } from 'isomorphic-git'
import * as v from 'valibot'
import { LockstepError } from '../errors.js'
import { parseInput } from '../core/validate.js'
import { blockedInMain, worktreeChanges } from './_changes.js'
import { aheadBehind, diffCommits, mergeBases } from './_history.js'
import { Author, BranchName, RepoLockOption, Root, WorktreeName } from './_input.js'
import { configAuthor, fullRef, mainHead, requireRepo, resolveBranch, runLocked, shortRef, type Repo } from './_repo.js'
import { findCheckout, locateWorktree } from './_worktrees.js'
import type { FileChange } from './types.js'

export const MergeWorktreeInput = v.strictObject({
  root: Root,
  name: WorktreeName,
  targetBranch: v.optional(BranchName),
  author: v.optional(Author),
  withRepoLock: RepoLockOption,
})
export type MergeWorktreeOptions = v.InferInput<typeof MergeWorktreeInput>

export type MergeResult =
  | { merged: false; branch: string; targetBranch: string; commit: string }
  | {
      merged: true
      fastForward: boolean
      /** The new tip of targetBranch. */
      commit: string
      branch: string
      targetBranch: string
      filesChanged: number
      /** Commits of the branch that the target did not have. */
      commits: number
      /** The target is checked out in the main worktree, whose index and files were updated. */
      workingTreeUpdated: boolean
    }

type Input = v.InferOutput<typeof MergeWorktreeInput>

/**
 * Merge `lockstep/<name>` into targetBranch (default: the main worktree's branch) without switching any checkout:
 * computed first, then written. Throws INVALID_INPUT, NOT_FOUND, CONFLICT.
 */
export async function mergeWorktree(options: MergeWorktreeOptions): Promise<MergeResult> {
  const input = parseInput(MergeWorktreeInput, options)
  const repo = requireRepo(input.root, input.name)
  return runLocked(input.withRepoLock, () => merge(repo, input))
}

async function merge(repo: Repo, input: Input): Promise<MergeResult> {
  const location = await locateWorktree(repo, input.name)
  const branch = location.branch
  const theirs = await resolveBranch(repo, branch)
  if (!theirs) throw new LockstepError('NOT_FOUND', `Branch ${branch} does not exist, so worktree ${input.name} has nothing to merge; check the name with worktree_list.`, { branch })
  const main = await mainHead(repo)
  const targetBranch = input.targetBranch ?? (main.ref?.startsWith('refs/heads/') ? shortRef(main.ref) : null)
  if (!targetBranch) throw new LockstepError('CONFLICT', `The main worktree at ${repo.root} is on a detached HEAD; pass targetBranch to say where ${branch} should go.`, { branch })
  const targetRef = fullRef(targetBranch)
  if (targetRef === fullRef(branch))
    throw new LockstepError('INVALID_INPUT', `targetBranch ${targetBranch} is the worktree's own branch; pass the branch to merge into, such as main.`, { targetBranch })
  const ours = await resolveBranch(repo, targetRef)
  if (!ours) throw new LockstepError('NOT_FOUND', `Target branch ${targetBranch} does not exist; pass an existing branch as targetBranch.`, { targetBranch })

  const holder = await findCheckout(repo, targetRef, main.ref)
  if (holder && holder !== 'main') {
    throw new LockstepError('CONFLICT', `Target branch ${targetBranch} is checked out in the worktree at ${holder.path}; merge there, or switch that worktree to another branch first.`, {
      targetBranch,
      checkedOutAt: holder.path,
    })
  }
  const pending = await worktreeChanges(repo, location)
  const uncommitted = [...pending.modified, ...pending.untracked]
  if (uncommitted.length > 0) {
    throw new LockstepError('CONFLICT', `Worktree ${location.path} has ${uncommitted.length} uncommitted file(s), e.g. ${uncommitted[0]}; commit or discard them in the worktree, then merge again.`, {
      files: uncommitted,
    })
  }

  const bases = await mergeBases(repo, ours, theirs)
  if (bases.length !== 1) {
    const reason = bases.length === 0 ? 'have no common history' : `have ${bases.length} merge bases`
    throw new LockstepError('CONFLICT', `${branch} and ${targetBranch} ${reason}; merge them by hand with git.`, { branch, targetBranch, mergeBases: bases })
  }
  if (bases[0] === theirs) return { merged: false, branch, targetBranch, commit: ours }
  const fastForward = bases[0] === ours
  const message = `Merge ${branch} into ${targetBranch}\n`
  const commit = fastForward ? theirs : await mergeCommit(repo, { ours, theirs, base: bases[0], targetRef, branch, message, author: input.author })
  const changes = await diffCommits(repo, ours, commit)
  const paths = changes.map((change) => change.path)
  const { ahead } = await aheadBehind(repo, theirs, ours)

  const inMain = holder === 'main'
  if (inMain) await assertMainCanTake(repo, targetBranch, ours, paths)
  // the caller's lock keeps lockstep writers out, but a person may have committed meanwhile
  if ((await resolveBranch(repo, targetRef)) !== ours) {
    throw new LockstepError('CONFLICT', `Target branch ${targetBranch} moved while the merge was computed; merge again.`, { targetBranch })
  }
  await git.writeRef({ fs, gitdir: repo.common, ref: targetRef, value: commit, force: true })
  if (inMain) await updateMain(repo, targetRef, ours, changes)
  return { merged: true, fastForward, commit, branch, targetBranch, filesChanged: paths.length, commits: ahead.length, workingTreeUpdated: inMain }
}

interface MergeCommitArgs {
  ours: string
  theirs: string
  base: string
  targetRef: string
  branch: string
  message: string
  author: { name: string; email: string } | undefined
}

/** Write the merged trees and the merge commit as objects only; no ref, index or file is touched. */
async function mergeCommit(repo: Repo, args: MergeCommitArgs): Promise<string> {
  const signature = { ...(args.author ?? (await configAuthor(repo))), timestamp: Math.floor(Date.now() / 1000) }
  try {
    const result = await git.merge({
      fs,
      gitdir: repo.common,
      cache: repo.cache,
      ours: args.targetRef,
      theirs: fullRef(args.branch),
      fastForward: false,
      noUpdateBranch: true,
      abortOnConflict: true,
      message: args.message,
      author: signature,
      committer: signature,
    })
    return result.oid as string
  } catch (error) {
    if (error instanceof Errors.MergeConflictError || error instanceof Errors.MergeNotSupportedError) {
      const conflicts = error instanceof Errors.MergeConflictError ? error.data.filepaths : await changedOnBothSides(repo, args)
      throw new LockstepError(
        'CONFLICT',
        `Merging ${args.branch} into ${shortRef(args.targetRef)} conflicts in ${conflicts.length} file(s), e.g. ${conflicts[0] ?? '(a file/folder clash)'}; nothing was written. Resolve in the worktree (merge ${shortRef(args.targetRef)} into ${args.branch} and commit), then merge again.`,
        { conflicts },
      )
    }
    if (error instanceof Errors.UnmergedPathsError) {
      throw new LockstepError('CONFLICT', `The main worktree at ${repo.root} has unresolved conflicts in its index; finish or abort that merge first.`, { files: error.data.filepaths })
    }
    throw error
  }
}

async function changedOnBothSides(repo: Repo, args: MergeCommitArgs): Promise<string[]> {
  const ours = (await diffCommits(repo, args.base, args.ours)).map((change) => change.path)
  const theirs = (await diffCommits(repo, args.base, args.theirs)).map((change) => change.path)
  const overlaps = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`)
  return ours.filter((path) => theirs.some((other) => overlaps(path, other)))
}

async function assertMainCanTake(repo: Repo, targetBranch: string, ours: string, paths: string[]): Promise<void> {
  const inProgress = ['MERGE_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD', 'rebase-merge', 'rebase-apply'].find((file) => fs.existsSync(join(repo.common, file)))
  if (inProgress) {
    throw new LockstepError('CONFLICT', `The main worktree at ${repo.root} is in the middle of an operation (${inProgress}); finish or abort it, then merge again.`, { inProgress })
  }
  const blocked = await blockedInMain(repo, ours, paths)
  if (blocked.length > 0) {
    throw new LockstepError(
      'CONFLICT',
      `Local changes in the main worktree at ${repo.root} are in the way of the merge into ${targetBranch}: ${blocked.slice(0, 5).join(', ')}; commit, stash or move them, then merge again.`,
      { files: blocked },
    )
  }
}

/** Bring the main worktree's index and files to the new target for the merged paths only; on failure put the ref back. */
async function updateMain(repo: Repo, targetRef: string, ours: string, changes: FileChange[]): Promise<void> {
  const paths = changes.map((change) => change.path)
  if (paths.length === 0) return
  try {
    await git.checkout({ fs, dir: repo.root, gitdir: repo.common, cache: repo.cache, ref: targetRef, filepaths: paths, noUpdateHead: true })
    for (const change of changes) if (change.change === 'deleted') await removeEmptyParents(repo.root, change.path)
  } catch (error) {
    await git.writeRef({ fs, gitdir: repo.common, ref: targetRef, value: ours, force: true })
    // the paths were clean at `ours` before, so forcing them back loses nothing
    await git.checkout({ fs, dir: repo.root, gitdir: repo.common, cache: {}, ref: ours, filepaths: paths, noUpdateHead: true, force: true }).catch(() => undefined)
    const files = (error as { data?: { filepaths?: string[] } }).data?.filepaths ?? paths
    throw new LockstepError(
      'CONFLICT',
      `Could not update the main worktree at ${repo.root} (${(error as Error).message}); ${shortRef(targetRef)} was left at ${ours.slice(0, 12)}. Clear the way for ${files.slice(0, 5).join(', ')} and merge again.`,
      { files },
    )
  }
}

/** Remove the folders a deleted file leaves empty, as git does; stops at the first folder that still holds something. */
async function removeEmptyParents(root: string, path: string): Promise<void> {
  for (let dir = dirname(path); dir !== '.'; dir = dirname(dir)) {
    try {
      await fs.promises.rmdir(join(root, dir))
    } catch {
      return
    }
  }
}
