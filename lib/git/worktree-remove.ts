import fs from 'node:fs'
import { join } from 'node:path'
import git from 'isomorphic-git'
import * as v from 'valibot'
import { LockstepError } from '../errors.js'
import { parseInput } from '../core/validate.js'
import { worktreeChanges } from './_changes.js'
import { aheadBehind } from './_history.js'
import { BranchName, RepoLockOption, Root, WorktreeName } from './_input.js'
import { fullRef, mainHead, openRepo, requireRepo, resolveBranch, runLocked, shortRef, type Repo } from './_repo.js'
import { findCheckout, locateWorktree, readAdminEntries, removeAdminDir } from './_worktrees.js'

const RemoveWorktreeInput = v.strictObject({
  root: Root,
  name: WorktreeName,
  force: v.optional(v.boolean(), false),
  deleteBranch: v.optional(v.boolean(), true),
  baseBranch: v.optional(BranchName),
  withRepoLock: RepoLockOption,
})
export type RemoveWorktreeOptions = v.InferInput<typeof RemoveWorktreeInput>

export interface RemovedWorktree {
  name: string
  path: string
  branch: string
  /** The folder or git's record of it was removed. */
  removed: boolean
  branchDeleted: boolean
}

const PruneWorktreesInput = v.strictObject({ root: Root, withRepoLock: RepoLockOption })
export type PruneWorktreesOptions = v.InferInput<typeof PruneWorktreesInput>

type Input = v.InferOutput<typeof RemoveWorktreeInput>

/**
 * Remove worktree `<name>` and its admin entry, then branch `lockstep/<name>` when it is fully merged into baseBranch
 * (default: the main worktree's branch). Without force, refuses uncommitted changes or unmerged commits.
 * Throws INVALID_INPUT, NOT_FOUND, CONFLICT.
 */
export async function removeWorktree(options: RemoveWorktreeOptions): Promise<RemovedWorktree> {
  const input = parseInput(RemoveWorktreeInput, options)
  const repo = requireRepo(input.root, input.name)
  return runLocked(input.withRepoLock, () => remove(repo, input))
}

async function remove(repo: Repo, input: Input): Promise<RemovedWorktree> {
  const location = await locateWorktree(repo, input.name)
  const { path, branch, admin } = location
  const branchOid = await resolveBranch(repo, branch)
  if (!location.exists && !admin && !branchOid) {
    throw new LockstepError('NOT_FOUND', `No worktree ${input.name}: neither ${path} nor branch ${branch} exists; list worktrees with worktree_list.`, { name: input.name })
  }
  const ownsAdmin = admin !== null && (admin.path === path || !admin.present)
  if (!input.force) {
    if (location.exists && !location.registered) {
      throw new LockstepError('CONFLICT', `${path} is not a registered worktree of this repository; inspect it, then remove it with force.`, { path })
    }
    if (ownsAdmin && admin.locked) {
      throw new LockstepError('CONFLICT', `Worktree ${path} is locked (${admin.adminDir}/locked); unlock it with git worktree unlock, or remove with force.`, { path })
    }
    const changes = await worktreeChanges(repo, location)
    const files = [...changes.modified, ...changes.untracked]
    if (files.length > 0) {
      throw new LockstepError('CONFLICT', `Worktree ${path} has ${files.length} uncommitted file(s), e.g. ${files[0]}; commit and merge them, or remove with force to discard them.`, { path, files })
    }
  }
  const main = await mainHead(repo)
  const baseBranch = input.baseBranch ?? (main.ref?.startsWith('refs/heads/') ? shortRef(main.ref) : null)
  const baseOid = baseBranch ? await resolveBranch(repo, baseBranch) : main.oid
  if (input.baseBranch && !baseOid) {
    throw new LockstepError('NOT_FOUND', `Base branch ${input.baseBranch} does not exist; pass an existing branch as baseBranch.`, { baseBranch: input.baseBranch })
  }
  const unmerged = async (oid: string | null | undefined) => (oid ? (!baseOid ? 1 : (await aheadBehind(repo, oid, baseOid)).ahead.length) : 0)
  const branchUnmerged = await unmerged(branchOid)
  const headUnmerged = location.registered && admin?.head?.oid !== branchOid ? await unmerged(admin?.head?.oid) : 0
  if (!input.force && branchUnmerged + headUnmerged > 0) {
    throw new LockstepError(
      'CONFLICT',
      `Worktree ${input.name} has ${Math.max(branchUnmerged, headUnmerged)} commit(s) missing from ${baseBranch ?? 'the main worktree HEAD'}; merge them first, or remove with force to drop them.`,
      { name: input.name, baseBranch, commits: Math.max(branchUnmerged, headUnmerged) },
    )
  }

  let removed = false
  if (location.exists) {
    await fs.promises.rm(path, { recursive: true, force: true })
    removed = true
  }
  if (ownsAdmin) {
    await removeAdminDir(repo, admin.adminDir)
    removed = true
  }
  let branchDeleted = false
  if (input.deleteBranch && branchOid && (branchUnmerged === 0 || input.force) && !(await findCheckout(repo, fullRef(branch), main.ref))) {
    await git.deleteRef({ fs, gitdir: repo.common, ref: fullRef(branch) })
    await fs.promises.rm(join(repo.common, 'logs', fullRef(branch)), { force: true })
    branchDeleted = true
  }
  return { name: input.name, path, branch, removed, branchDeleted }
}

/** Remove admin entries in `<common>/worktrees/` whose worktree folder is gone, as `git worktree prune` does. Throws INVALID_INPUT, NOT_FOUND. */
export async function pruneWorktrees(options: PruneWorktreesOptions): Promise<{ pruned: string[] }> {
  const { root, withRepoLock } = parseInput(PruneWorktreesInput, options)
  const repo = openRepo(root)
  if (!repo) return { pruned: [] }
  return runLocked(withRepoLock, async () => {
    const pruned: string[] = []
    for (const entry of await readAdminEntries(repo)) {
      if (entry.present || entry.locked) continue
      await removeAdminDir(repo, entry.adminDir)
      pruned.push(entry.id)
    }
    return { pruned }
  })
}
