import fs from 'node:fs'
import git from 'isomorphic-git'
import { worktreeFs } from './_fs.js'
import type { Repo } from './_repo.js'
import type { Location } from './_worktrees.js'

export interface LocalChanges {
  /** Tracked files whose index or working copy differs from HEAD (including deletions and staged additions). */
  modified: string[]
  /** Files that are neither tracked nor ignored. */
  untracked: string[]
}

/** Uncommitted changes in a registered linked worktree. Read-only: the index stat cache is not refreshed. */
export async function worktreeChanges(repo: Repo, location: Location): Promise<LocalChanges> {
  if (!location.registered || !location.admin) return { modified: [], untracked: [] }
  const rows = await git.statusMatrix({
    fs: worktreeFs(repo.common, location.admin.adminDir),
    dir: location.path,
    gitdir: location.admin.adminDir,
    cache: repo.cache,
    refresh: false,
  })
  const modified: string[] = []
  const untracked: string[] = []
  for (const [path, head, workdir, stage] of rows) {
    if (head === 0 && stage === 0 && workdir === 2) untracked.push(path)
    else if (!(head === 1 && workdir === 1 && stage === 1)) modified.push(path)
  }
  return { modified, untracked }
}

/**
 * Paths among `paths` that the main worktree cannot take from a merge without losing work: changed against
 * `base` in the index or on disk, or present on disk while untracked (ignored files included).
 */
export async function blockedInMain(repo: Repo, base: string, paths: string[]): Promise<string[]> {
  if (paths.length === 0) return []
  const rows = await git.statusMatrix({
    fs,
    dir: repo.root,
    gitdir: repo.common,
    ref: base,
    filepaths: paths,
    cache: repo.cache,
    ignored: true,
    refresh: false,
  })
  return rows.filter(([, head, workdir, stage]) => !(head === 1 && workdir === 1 && stage === 1)).map(([path]) => path)
}
