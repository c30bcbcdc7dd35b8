import { readFileSync, realpathSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'

export interface RepoLocation {
  /** The main working tree: the parent of the common git dir for a linked worktree. */
  main: string
  /** The git dir shared by all worktrees (`<main>/.git` in the usual layout). */
  common: string
}

/** The main working tree of the repository containing `dir` (a linked worktree maps to it), or null outside git. */
export function findMainWorktree(dir: string): string | null {
  return locateRepo(dir)?.main ?? null
}

/** The main working tree and common git dir of the repository containing `dir`, or null outside git. */
export function locateRepo(dir: string): RepoLocation | null {
  let current: string
  try {
    current = realpathSync.native(resolve(dir))
  } catch {
    return null
  }
  for (;;) {
    const dotGit = join(current, '.git')
    const kind = kindOf(dotGit)
    if (kind === 'dir') return { main: current, common: dotGit }
    if (kind === 'file') return fromGitFile(current, dotGit)
    const parent = dirname(current)
    if (parent === current) return null
    current = parent
  }
}

/** `<worktree>/.git` is a file `gitdir: <dir>`; with a `commondir` there it is a linked worktree. */
function fromGitFile(worktree: string, dotGit: string): RepoLocation | null {
  const gitDir = readGitFile(dotGit)
  if (!gitDir) return null
  let common: string
  try {
    const pointer = readFileSync(join(gitDir, 'commondir'), 'utf8').trim()
    common = isAbsolute(pointer) ? pointer : resolve(gitDir, pointer)
  } catch {
    // no commondir: a separate git dir (as for submodules), and this folder is its own main tree
    return { main: worktree, common: gitDir }
  }
  const real = realOrSelf(common)
  return { main: dirname(real), common: real }
}

/** The git dir named by a `.git` file, resolved against the file's folder; null when the file is not one. */
export function readGitFile(dotGit: string): string | null {
  let text: string
  try {
    text = readFileSync(dotGit, 'utf8')
  } catch {
    return null
  }
  const match = /^gitdir:\s*(.+?)\s*$/m.exec(text)
  return match ? realOrSelf(resolve(dirname(dotGit), match[1])) : null
}

function kindOf(path: string): 'dir' | 'file' | null {
  try {
    const stats = statSync(path)
    return stats.isDirectory() ? 'dir' : stats.isFile() ? 'file' : null
  } catch {
    return null
  }
}

function realOrSelf(path: string): string {
  try {
    return realpathSync.native(path)
  } catch {
    return path
  }
}
