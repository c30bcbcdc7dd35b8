import { promises as fsp } from 'node:fs'
import { join } from 'node:path'

// Top-level entries of a git dir that all worktrees share (git's `common_list` in path.c); everything else,
// such as HEAD, index, MERGE_HEAD and ORIG_HEAD, belongs to one worktree.
const SHARED = new Set(['branches', 'common', 'config', 'hooks', 'info', 'logs', 'lost-found', 'objects', 'packed-refs', 'refs', 'remotes', 'rr-cache', 'shallow', 'svn'])
const PER_WORKTREE_UNDER_SHARED = ['info/sparse-checkout', 'logs/HEAD', 'logs/refs/bisect', 'logs/refs/rewritten', 'logs/refs/worktree', 'refs/bisect', 'refs/rewritten', 'refs/worktree']

/** Whether a path relative to a git dir is shared between worktrees (lives in the common dir). */
function isSharedGitPath(relative: string): boolean {
  if (!SHARED.has(relative.split('/')[0])) return false
  return !PER_WORKTREE_UNDER_SHARED.some((own) => relative === own || relative.startsWith(`${own}/`))
}

/**
 * A promise-based fs for isomorphic-git, which ignores `commondir`: paths under `adminDir` that git shares
 * between worktrees are redirected to `commonDir`; everything else passes through unchanged.
 */
export function worktreeFs(commonDir: string, adminDir: string) {
  const prefix = `${adminDir}/`
  const map = (path: string): string => {
    if (!path.startsWith(prefix)) return path
    const relative = path.slice(prefix.length).replace(/\/+$/, '')
    return isSharedGitPath(relative) ? join(commonDir, relative) : path
  }
  const promises = {
    readFile: async (path: string, options?: Parameters<typeof fsp.readFile>[1]) => fsp.readFile(map(path), options),
    writeFile: async (path: string, data: Parameters<typeof fsp.writeFile>[1], options?: Parameters<typeof fsp.writeFile>[2]) => fsp.writeFile(map(path), data, options),
    mkdir: async (path: string, options?: Parameters<typeof fsp.mkdir>[1]) => fsp.mkdir(map(path), options),
    rmdir: async (path: string) => fsp.rmdir(map(path)),
    rm: async (path: string, options?: Parameters<typeof fsp.rm>[1]) => fsp.rm(map(path), options),
    unlink: async (path: string) => fsp.unlink(map(path)),
    stat: async (path: string) => fsp.stat(map(path)),
    lstat: async (path: string) => fsp.lstat(map(path)),
    readdir: async (path: string) => fsp.readdir(map(path)),
    readlink: async (path: string) => fsp.readlink(map(path)),
    symlink: async (target: string, path: string) => fsp.symlink(target, map(path)),
    chmod: async (path: string, mode: number) => fsp.chmod(map(path), mode),
  }
  return { promises }
}
