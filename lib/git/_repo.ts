import fs from 'node:fs'
import { join } from 'node:path'
import git, { Errors } from 'isomorphic-git'
import { LockstepError } from '../errors.js'
import { locateRepo } from '../../storage/git-top.js'
import type { RepoLock } from './types.js'

export interface Repo {
  /** Real path of the main working tree. */
  root: string
  /** The common git dir. */
  common: string
  /** isomorphic-git object cache, shared by the calls of one operation (pack indexes are parsed once). */
  cache: object
}

export interface Head {
  /** Full ref HEAD points to (`refs/heads/main`), or null when detached. */
  ref: string | null
  /** The commit HEAD resolves to, or null on an unborn branch. */
  oid: string | null
}

export const BRANCH_PREFIX = 'lockstep/'

/** The repository whose working tree contains `root`, or null outside git. Throws NOT_FOUND for a missing folder. */
export function openRepo(root: string): Repo | null {
  if (!fs.existsSync(root)) {
    throw new LockstepError('NOT_FOUND', `Project folder ${root} does not exist; pass an existing folder as root.`, { root })
  }
  const location = locateRepo(root)
  return location ? { root: location.main, common: location.common, cache: {} } : null
}

/** Like openRepo, but outside git throws NOT_FOUND naming the worktree asked for. */
export function requireRepo(root: string, name: string): Repo {
  const repo = openRepo(root)
  if (!repo) {
    throw new LockstepError('NOT_FOUND', `No worktree ${name}: ${root} is not inside a git repository; worktrees need git.`, { root, name })
  }
  return repo
}

export function worktreesDir(repo: Repo): string {
  return join(repo.root, '.lockstep', 'worktrees')
}

export function branchOf(name: string): string {
  return `${BRANCH_PREFIX}${name}`
}

export function fullRef(branch: string): string {
  return branch.startsWith('refs/') ? branch : `refs/heads/${branch}`
}

export function shortRef(ref: string): string {
  return ref.replace(/^refs\/heads\//, '')
}

/** The commit a ref points to in the common dir, or null when the ref does not exist. */
export async function resolveBranch(repo: Repo, ref: string): Promise<string | null> {
  try {
    return await git.resolveRef({ fs, gitdir: repo.common, ref: fullRef(ref) })
  } catch (error) {
    if (error instanceof Errors.NotFoundError) return null
    throw error
  }
}

/** Read `<gitDir>/HEAD`, resolving branches through the common dir. Null when the file is missing or unreadable. */
export async function readHead(repo: Repo, gitDir: string): Promise<Head | null> {
  let text: string
  try {
    text = (await fs.promises.readFile(join(gitDir, 'HEAD'), 'utf8')).trim()
  } catch {
    return null
  }
  const symbolic = /^ref:\s*(\S+)$/.exec(text)
  if (symbolic) return { ref: symbolic[1], oid: await resolveBranch(repo, symbolic[1]) }
  return /^[0-9a-f]{40}$/.test(text) ? { ref: null, oid: text } : null
}

export async function mainHead(repo: Repo): Promise<Head> {
  return (await readHead(repo, repo.common)) ?? { ref: null, oid: null }
}

/** The branch checked out in the main worktree, short form, or null when it is detached. */
export async function mainBranch(repo: Repo): Promise<string | null> {
  const head = await mainHead(repo)
  return head.ref?.startsWith('refs/heads/') ? shortRef(head.ref) : null
}

/** Author for commits made by lockstep: the repository's user.name/user.email, else lockstep-mcp. */
export async function configAuthor(repo: Repo): Promise<{ name: string; email: string }> {
  const name = await git.getConfig({ fs, gitdir: repo.common, path: 'user.name' }).catch(() => undefined)
  const email = await git.getConfig({ fs, gitdir: repo.common, path: 'user.email' }).catch(() => undefined)
  if (typeof name === 'string' && name && typeof email === 'string' && email) return { name, email }
  return { name: 'lockstep-mcp', email: 'lockstep-mcp@localhost' }
}

/** Add `/.lockstep/worktrees/` to `<common>/info/exclude` once. */
export async function ensureExcluded(repo: Repo): Promise<void> {
  const line = '/.lockstep/worktrees/'
  const file = join(repo.common, 'info', 'exclude')
  let text = ''
  try {
    text = await fs.promises.readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  if (text.split(/\r?\n/).some((existing) => existing.trim() === line)) return
  await fs.promises.mkdir(join(repo.common, 'info'), { recursive: true })
  await fs.promises.appendFile(file, `${text && !text.endsWith('\n') ? '\n' : ''}${line}\n`)
}

export function runLocked<T>(lock: RepoLock | undefined, fn: () => Promise<T>): Promise<T> {
  return lock ? lock(fn) : fn()
}
