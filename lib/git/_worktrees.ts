import fs from 'node:fs'
import { dirname, join } from 'node:path'
import { readGitFile } from '../../storage/git-top.js'
import { branchOf, readHead, worktreesDir, type Head, type Repo } from './_repo.js'

/** One entry of `<common>/worktrees/`, as git records a linked worktree. */
export interface AdminEntry {
  id: string
  adminDir: string
  /** The worktree folder named by the `gitdir` file, or null when that file is missing. */
  path: string | null
  head: Head | null
  locked: boolean
  /** Whether the worktree's `.git` file still exists (git prunes the entry otherwise). */
  present: boolean
}

/** Where a lockstep worktree of `name` is, and how much of it exists. */
export interface Location {
  name: string
  path: string
  branch: string
  /** The admin entry this worktree's `.git` file points to (or `<common>/worktrees/<name>`), when it exists. */
  admin: AdminEntry | null
  /** The folder exists. */
  exists: boolean
  /** The folder is a live linked worktree: its `.git` file and the admin entry point at each other. */
  registered: boolean
}

export async function readAdminEntries(repo: Repo): Promise<AdminEntry[]> {
  const base = join(repo.common, 'worktrees')
  let ids: string[]
  try {
    ids = await fs.promises.readdir(base)
  } catch {
    return []
  }
  const entries = await Promise.all(ids.sort().map((id) => readAdminEntry(repo, join(base, id))))
  return entries.filter((entry): entry is AdminEntry => entry !== null)
}

async function readAdminEntry(repo: Repo, adminDir: string): Promise<AdminEntry | null> {
  const stats = await fs.promises.stat(adminDir).catch(() => null)
  if (!stats?.isDirectory()) return null
  const pointer = await fs.promises.readFile(join(adminDir, 'gitdir'), 'utf8').catch(() => '')
  const dotGit = pointer.trim()
  return {
    id: adminDir.slice(adminDir.lastIndexOf('/') + 1),
    adminDir,
    path: dotGit ? dirname(dotGit) : null,
    head: await readHead(repo, adminDir),
    locked: fs.existsSync(join(adminDir, 'locked')),
    present: dotGit !== '' && fs.existsSync(dotGit),
  }
}

export async function locateWorktree(repo: Repo, name: string): Promise<Location> {
  const path = join(worktreesDir(repo), name)
  const exists = fs.existsSync(path)
  const pointed = exists ? readGitFile(join(path, '.git')) : null
  const admin = await readAdminEntry(repo, pointed ?? join(repo.common, 'worktrees', name))
  const registered = exists && pointed !== null && admin !== null && admin.path === path
  return { name, path, branch: branchOf(name), admin, exists, registered }
}

/** Where a full branch ref is checked out: 'main', a present linked worktree's admin entry, or null. */
export async function findCheckout(repo: Repo, ref: string, mainRef: string | null): Promise<'main' | AdminEntry | null> {
  if (mainRef === ref) return 'main'
  for (const entry of await readAdminEntries(repo)) {
    if (entry.present && entry.head?.ref === ref) return entry
  }
  return null
}

/** Remove an admin entry, refusing anything that is not a folder directly under `<common>/worktrees/`. */
export async function removeAdminDir(repo: Repo, adminDir: string): Promise<void> {
  if (dirname(adminDir) !== join(repo.common, 'worktrees')) throw new Error(`refusing to remove ${adminDir}: not a worktree admin folder`)
  await fs.promises.rm(adminDir, { recursive: true, force: true })
}
