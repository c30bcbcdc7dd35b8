import { existsSync, realpathSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, relative, isAbsolute, resolve, sep } from 'node:path'
import type { ProjectRef } from '../../storage/documents.js'
import { briefCache } from '../../storage/brief-cache.js'
import { findMainWorkingTree, realGitTop } from '../../storage/git-top.js'
import type { Ctx } from './context.js'
import { LockstepError } from '../errors.js'

export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') || path.startsWith('~\\') ? join(homedir(), path.slice(1)) : path
}

function isInside(child: string, parent: string): boolean {
  const fold = process.platform === 'win32' || process.platform === 'darwin'
  const rel = relative(fold ? parent.toLowerCase() : parent, fold ? child.toLowerCase() : child)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

/**
 * The project a call acts on: `projectRoot`, else the first root, else the session's folder. Throws NOT_FOUND for a
 * missing folder, FORBIDDEN for another project than the session's registration or one outside strict roots.
 */
export function projectFor(ctx: Ctx, projectRoot?: string): ProjectRef {
  const chosen = projectRoot !== undefined ? resolve(ctx.caller.cwd, expandHome(projectRoot)) : (ctx.settings.roots[0] ?? ctx.caller.cwd)
  const project = ctx.store.project(chosen)
  const binding = ctx.caller.binding
  if (binding && binding.projectId !== project.id) {
    throw new LockstepError(
      'FORBIDDEN',
      `This session is registered in project ${binding.projectRoot} as ${binding.name}; ${project.root} is another project. Start another session there, or leave projectRoot out.`,
      { projectRoot: project.root, registeredProject: binding.projectRoot },
    )
  }
  if (ctx.settings.mode === 'strict' && !strictRoots(ctx).some((root) => isInside(project.root, root))) {
    throw new LockstepError('FORBIDDEN', `Project ${project.root} is outside the allowed roots (${strictRoots(ctx).join(', ')}); use a project inside them.`, {
      projectRoot: project.root,
      roots: strictRoots(ctx),
    })
  }
  return project
}

export function strictRoots(ctx: Ctx): string[] {
  const roots = ctx.settings.roots.length ? ctx.settings.roots : [ctx.store.project(ctx.caller.cwd).root]
  return roots.map((root) => {
    try {
      return realpathSync.native(root)
    } catch {
      return root
    }
  })
}

/**
 * The top of the working tree the session works in: a registered implementer's worktree, the linked worktree of
 * the project that holds the session's folder, or the project root.
 */
export function workRootFor(ctx: Ctx, project: ProjectRef, worktreePath?: string): string {
  if (worktreePath && existsSync(worktreePath)) return worktreePath
  // as for the project itself (projectRef), the answer is reused for a second: it costs a realpath and a walk up
  return workRoots(`${ctx.caller.cwd}\0${project.root}`, () => {
    const top = realGitTop(ctx.caller.cwd)
    return top && top !== project.root && findMainWorkingTree(top) === project.root ? top : project.root
  })
}

const workRoots = briefCache<string>(1000)

export function displayPath(path: string): string {
  const home = homedir()
  return path === home || path.startsWith(home + sep) ? `~${path.slice(home.length)}` : path
}
