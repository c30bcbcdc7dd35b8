import { createHash } from 'node:crypto'
import { realpathSync, statSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { LockstepError } from '../lib/errors.js'
import type { ProjectRef } from './documents.js'
import { briefCache } from './brief-cache.js'
import { findMainWorkingTree } from './git-top.js'

const FOLDS_CASE = process.platform === 'win32' || process.platform === 'darwin'

/**
 * The identity of the project that contains `dir`: the real path of the main working tree of its git
 * repository (a linked worktree maps to its main tree), or the folder itself outside git.
 */
export function projectIdentity(dir: string): string {
  let real: string
  try {
    real = realpathSync.native(resolve(dir))
  } catch {
    throw new LockstepError('NOT_FOUND', `Project folder ${dir} does not exist; pass an existing folder as projectRoot.`, { path: dir })
  }
  if (!statSync(real).isDirectory()) {
    throw new LockstepError('NOT_FOUND', `Project folder ${real} is not a folder; pass a folder as projectRoot.`, { path: real })
  }
  return findMainWorkingTree(real) ?? real
}

/** `<basename>-<hash8>`: basename lower-cased and made safe, hash of the identity (lower-cased where paths fold case). */
export function projectFolderName(identity: string): string {
  const hashed = FOLDS_CASE ? identity.toLowerCase() : identity
  const hash8 = createHash('sha256').update(hashed).digest('hex').slice(0, 8)
  const base = (basename(identity) || 'root')
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '-')
    .slice(0, 40)
  return `${base}-${hash8}`
}

// every tool call names its project: resolving a folder costs a realpath, a walk up to .git and a hash, so an answer
// is reused for a moment (a folder deleted or moved meanwhile is noticed a second late)
const refs = briefCache<ProjectRef>(1000)

export function projectRef(dataDir: string, dir: string): ProjectRef {
  const ref = refs(`${dataDir}\0${dir}`, () => {
    const root = projectIdentity(dir)
    const id = projectFolderName(root)
    return { id, root, name: basename(root) || root, dir: join(dataDir, 'projects', id) }
  })
  return { ...ref }
}
