import fs from 'node:fs'
import { join } from 'node:path'
import git from 'isomorphic-git'
import * as v from 'valibot'
import { LockstepError } from '../errors.js'
import { parseInput } from '../core/validate.js'
import { worktreeFs } from './_fs.js'
import { RepoLockOption, Root, WorktreeName } from './_input.js'
import { ensureExcluded, fullRef, mainHead, openRepo, resolveBranch, runLocked, shortRef, type Repo } from './_repo.js'
import { findCheckout, locateWorktree, removeAdminDir, type Location } from './_worktrees.js'

const CreateWorktreeInput = v.strictObject({ root: Root, name: WorktreeName, withRepoLock: RepoLockOption })
export type CreateWorktreeOptions = v.InferInput<typeof CreateWorktreeInput>

export interface CreatedWorktree {
  path: string
  branch: string
  /** The branch checked out in the main worktree, or null when it is detached. */
  baseBranch: string | null
  head: string
  /** False when an existing worktree was reused as it is. */
  created: boolean
}

/**
 * Create `<root>/.lockstep/worktrees/<name>` on branch `lockstep/<name>`, from the commit checked out in the main
 * worktree, or reuse the worktree or branch that already exists. Throws INVALID_INPUT, NOT_FOUND, CONFLICT.
 */
export async function createWorktree(options: CreateWorktreeOptions): Promise<CreatedWorktree> {
  const { root, name, withRepoLock } = parseInput(CreateWorktreeInput, options)
  const repo = openRepo(root)
  if (!repo) {
    throw new LockstepError('CONFLICT', `${root} is not inside a git repository, so worktree ${name} cannot be created; use isolation "shared", or run git init and commit first.`, { root, name })
  }
  return runLocked(withRepoLock, () => create(repo, name))
}

async function create(repo: Repo, name: string): Promise<CreatedWorktree> {
  const main = await mainHead(repo)
  const baseBranch = main.ref?.startsWith('refs/heads/') ? shortRef(main.ref) : null
  const location = await locateWorktree(repo, name)
  const ref = fullRef(location.branch)
  if (location.registered) {
    await ensureExcluded(repo)
    const head = location.admin?.head?.oid ?? (await resolveBranch(repo, ref))
    if (!head) throw new LockstepError('CONFLICT', `Worktree ${location.path} has no commit checked out; check out ${location.branch} there, or remove the worktree.`, { path: location.path })
    return { path: location.path, branch: location.branch, baseBranch, head, created: false }
  }
  await assertPlaceIsFree(repo, location)
  let oid = await resolveBranch(repo, ref)
  const newBranch = oid === null
  if (oid === null) {
    if (!main.oid) {
      throw new LockstepError('CONFLICT', `The repository at ${repo.root} has no commit yet, so worktree ${name} cannot branch from it; make a first commit, or use isolation "shared".`, {
        root: repo.root,
        name,
      })
    }
    oid = main.oid
  } else {
    const holder = await findCheckout(repo, ref, main.ref)
    if (holder) {
      const where = holder === 'main' ? repo.root : holder.path
      throw new LockstepError('CONFLICT', `Branch ${location.branch} is already checked out at ${where}; switch that checkout to another branch, or pick another name.`, {
        branch: location.branch,
        checkedOutAt: where,
      })
    }
  }
  await populate(repo, location, ref, oid, newBranch)
  return { path: location.path, branch: location.branch, baseBranch, head: oid, created: true }
}

/** The folder must be absent or empty, and `<common>/worktrees/<name>` must not belong to a live worktree. */
async function assertPlaceIsFree(repo: Repo, location: Location): Promise<void> {
  if (location.exists && (await fs.promises.readdir(location.path).catch(() => ['?'])).length > 0) {
    throw new LockstepError('CONFLICT', `${location.path} exists but is not a worktree of this repository; move it away or delete it, then retry.`, { path: location.path })
  }
  const admin = location.admin
  if (!admin) return
  if (admin.present || admin.locked) {
    throw new LockstepError('CONFLICT', `Worktree entry ${admin.adminDir} is in use by ${admin.path ?? 'a locked worktree'}; remove that worktree, or pick another name.`, {
      adminDir: admin.adminDir,
      path: admin.path,
    })
  }
  // a stale entry whose folder was deleted: git itself would prune it
  await removeAdminDir(repo, admin.adminDir)
}

async function populate(repo: Repo, location: Location, ref: string, oid: string, newBranch: boolean): Promise<void> {
  const adminDir = join(repo.common, 'worktrees', location.name)
  const dotGit = join(location.path, '.git')
  const write = (file: string, text: string) => fs.promises.writeFile(join(adminDir, file), text)
  try {
    await ensureExcluded(repo)
    await fs.promises.mkdir(adminDir, { recursive: true })
    // as `git worktree add` does: a concurrent `git worktree prune` leaves a locked entry alone
    await write('locked', 'initializing\n')
    if (newBranch) await git.writeRef({ fs, gitdir: repo.common, ref, value: oid })
    await write('HEAD', `ref: ${ref}\n`)
    await write('commondir', '../..\n')
    await write('gitdir', `${dotGit}\n`)
    await fs.promises.mkdir(location.path, { recursive: true })
    await fs.promises.writeFile(dotGit, `gitdir: ${adminDir}\n`)
    // nonBlocking writes in batches, so a large tree never holds thousands of files open at once
    await git.checkout({ fs: worktreeFs(repo.common, adminDir), dir: location.path, gitdir: adminDir, ref, noUpdateHead: true, nonBlocking: true, batchSize: 100, cache: repo.cache })
    await fs.promises.rm(join(adminDir, 'locked'))
  } catch (error) {
    await fs.promises.rm(location.path, { recursive: true, force: true }).catch(() => undefined)
    await removeAdminDir(repo, adminDir).catch(() => undefined)
    if (newBranch && (await resolveBranch(repo, ref)) === oid) await git.deleteRef({ fs, gitdir: repo.common, ref }).catch(() => undefined)
    throw error
  }
}
