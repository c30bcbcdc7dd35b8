import { promises as fsp } from 'node:fs'
import { basename, dirname, join, resolve, sep } from 'node:path'
import { LockstepError } from '../errors.js'

export type AccessMode = 'open' | 'strict'

export interface AccessRequest {
  path: string
  workRoot: string
  mode: AccessMode
  roots: readonly string[]
  forWrite: boolean
}

export interface ResolvedPath {
  /** The path resolved against the work root, symlinks untouched. */
  absPath: string
  /** Symlinks followed; for a missing target, the real path of its nearest existing parent joined with the rest. */
  realPath: string
  /** Relative to the work root with `/` separators, when the target lies inside it. */
  relativePath?: string
  exists: boolean
}

const CASE_INSENSITIVE = process.platform === 'win32' || process.platform === 'darwin'
const IS_WINDOWS = process.platform === 'win32'
const MAX_LINK_HOPS = 40

/**
 * Resolve a path an agent gave and apply the access policy of file_read and file_write (docs/tools.md#file_read). Throws FORBIDDEN, INVALID_INPUT.
 * Callers should open `realPath`, the path the policy was checked against.
 */
export async function resolveAccessPath(request: AccessRequest): Promise<ResolvedPath> {
  const { path, workRoot, mode, roots, forWrite } = request
  if (path.includes('\0')) {
    const shown = JSON.stringify(path)
    throw new LockstepError('FORBIDDEN', `The path ${shown} contains a NUL byte; pass a plain file path.`, { path })
  }
  // `~` is deliberately not expanded: agents give project paths, and `~x` is a valid file name
  const absPath = resolve(workRoot, path)
  const { real: realPath, exists } = await realpathLoose(absPath)
  const realWorkRoot = (await realpathLoose(resolve(workRoot))).real

  if (mode === 'strict') await assertInsideRoots(realPath, roots)
  if (forWrite) await assertWritable(absPath, realPath, resolve(workRoot), realWorkRoot)

  // prefer the real location so that a symlink and its target share one relative path (and one lock)
  const relative = relativeInside(realPath, realWorkRoot) ?? relativeInside(absPath, resolve(workRoot))
  const result: ResolvedPath = { absPath, realPath, exists }
  if (relative !== undefined) result.relativePath = relative === '' ? '.' : relative
  return result
}

/** `child` relative to `parent` with `/` separators, or undefined outside it. Case-insensitive on win32 and darwin. */
function relativeInside(child: string, parent: string): string | undefined {
  const parentParts = stripTrailingSep(parent).split(sep)
  const childParts = stripTrailingSep(child).split(sep)
  if (childParts.length < parentParts.length) return undefined
  for (let i = 0; i < parentParts.length; i++) {
    if (foldCase(parentParts[i]!) !== foldCase(childParts[i]!)) return undefined
  }
  return childParts.slice(parentParts.length).join('/')
}

async function assertInsideRoots(realPath: string, roots: readonly string[]): Promise<void> {
  const realRoots = await Promise.all(roots.map(async (root) => (await realpathLoose(resolve(root))).real))
  if (realRoots.some((root) => relativeInside(realPath, root) !== undefined)) return
  const listed = roots.length > 0 ? roots.join(', ') : '(none configured)'
  throw new LockstepError('FORBIDDEN', `${realPath} is outside the allowed roots ${listed}; strict mode only allows paths whose real location is ` + 'inside --roots. Use a path inside one of them.', {
    path: realPath,
    roots: [...roots],
  })
}

async function assertWritable(absPath: string, realPath: string, workRoot: string, realWorkRoot: string) {
  if (hasGitSegment(absPath) || hasGitSegment(realPath)) {
    throw new LockstepError('FORBIDDEN', `Writing ${realPath} is refused: paths inside .git are never written through file_write; use git instead.`, { path: realPath })
  }
  // the real locations matter too: a symlink inside the root may point into .lockstep/ or .git/
  const realGuards = await Promise.all(['.lockstep', '.git'].map(async (name) => (await realpathLoose(join(realWorkRoot, name))).real))
  const hit = relativeInside(absPath, join(workRoot, '.lockstep')) !== undefined || realGuards.some((dir) => relativeInside(realPath, dir) !== undefined)
  if (hit) {
    throw new LockstepError('FORBIDDEN', `Writing ${realPath} is refused: the work root's .lockstep/ and .git/ are managed by lockstep-mcp and git.`, { path: realPath })
  }
}

function hasGitSegment(path: string): boolean {
  return path.split(/[\\/]/).some((segment) => {
    // Windows ignores trailing dots and spaces, so `.git.` opens `.git`
    const name = IS_WINDOWS ? segment.replace(/[. ]+$/, '') : segment
    return foldCase(name) === '.git'
  })
}

/**
 * Like realpath, but for a missing target returns the real path of its nearest existing parent joined with the
 * rest. A dangling symlink is followed to where it points, so that creating the file through it is checked too.
 */
async function realpathLoose(path: string, hops = 0): Promise<{ real: string; exists: boolean }> {
  try {
    return { real: await fsp.realpath(path), exists: true }
  } catch (error) {
    const code = errorCode(error)
    if (code === 'ELOOP') throw loopError(path)
    if (code === 'EACCES' || code === 'EPERM') {
      throw new LockstepError('FORBIDDEN', `${path} cannot be resolved: permission denied.`, { path })
    }
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error
  }
  const parent = dirname(path)
  if (parent === path) return { real: path, exists: false }
  const { real: realParent } = await realpathLoose(parent, hops)
  const candidate = join(realParent, basename(path))
  let target: string | undefined
  try {
    if ((await fsp.lstat(candidate)).isSymbolicLink()) target = await fsp.readlink(candidate)
  } catch (error) {
    const code = errorCode(error)
    // EINVAL: lstat saw a symlink, readlink no longer does; another process is swapping it
    if (code === 'EINVAL') throw new LockstepError('FORBIDDEN', `${path} changed while it was being resolved; a symlink on the way was replaced. Try again.`, { path })
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error
  }
  if (target === undefined) return { real: candidate, exists: false }
  if (hops >= MAX_LINK_HOPS) throw loopError(path)
  const followed = await realpathLoose(resolve(realParent, target), hops + 1)
  return { real: followed.real, exists: false }
}

function loopError(path: string): LockstepError {
  return new LockstepError('INVALID_INPUT', `${path} cannot be resolved: too many levels of symbolic links.`, { path })
}

function stripTrailingSep(path: string): string {
  // a root such as `/` or `C:\` keeps its separator after resolve(); drop it so that it splits into one segment
  return path.endsWith(sep) ? path.slice(0, -1) : path
}

function foldCase(value: string): string {
  return CASE_INSENSITIVE ? value.toLowerCase() : value
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code
}
