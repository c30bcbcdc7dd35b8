import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'

export interface RepoLocation {
  /** The main working tree: the parent of the common git dir for a linked worktree. */
  main: string
  /** The git dir shared by all worktrees (`<main>/.git` in the usual layout). */
  common: string
}

/** The nearest folder at or above `dir` that holds a `.git` (a repository's top or a linked worktree's), or null. */
export function gitTop(dir: string): string | null {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, '.git'))) return current
    if (dirname(current) === current) return null
  }
}

/** The main working tree and common git dir of the repository containing `dir`, or null outside git. */
export function locateRepo(dir: string): RepoLocation | null {
  const top = realGitTop(dir)
  return top ? locateAt(top) : null
}

/**
 * The main working tree of the repository containing `dir` (a linked worktree maps to its main tree), or null
 * outside git or when `dir` does not exist. A `.git` file that names no git dir makes its folder a tree of its own.
 */
export function findMainWorkingTree(dir: string): string | null {
  const top = realGitTop(dir)
  return top ? (locateAt(top)?.main ?? top) : null
}

/** gitTop of the real path of `dir`; null when `dir` does not exist. */
export function realGitTop(dir: string): string | null {
  let real: string
  try {
    real = realpathSync.native(resolve(dir))
  } catch {
    return null
  }
  return gitTop(real)
}

/** The repository whose top is `top`; null when `top/.git` is a file that names no git dir. */
function locateAt(top: string): RepoLocation | null {
  const dotGit = join(top, '.git')
  if (statSync(dotGit, { throwIfNoEntry: false })?.isDirectory()) return { main: top, common: dotGit }
  // `<worktree>/.git` is a file `gitdir: <dir>`; with a `commondir` there it is a linked worktree
  const gitDir = readGitFile(dotGit)
  if (!gitDir) return null
  let common: string
  try {
    const pointer = readFileSync(join(gitDir, 'commondir'), 'utf8').trim()
    common = isAbsolute(pointer) ? pointer : resolve(gitDir, pointer)
  } catch {
    // no commondir: a separate git dir (as for submodules), and this folder is its own main tree
    return { main: top, common: gitDir }
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

function realOrSelf(path: string): string {
  try {
    return realpathSync.native(path)
  } catch {
    return path
  }
}
