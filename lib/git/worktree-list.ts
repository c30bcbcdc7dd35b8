import fs from 'node:fs'
import { basename, join } from 'node:path'
import * as v from 'valibot'
import { parseInput } from '../core/validate.js'
import { Root } from './_input.js'
import { BRANCH_PREFIX, openRepo, shortRef, worktreesDir } from './_repo.js'
import { readAdminEntries } from './_worktrees.js'

export const ListWorktreesInput = v.strictObject({ root: Root })
export type ListWorktreesOptions = v.InferInput<typeof ListWorktreesInput>

export interface WorktreeEntry {
  name: string
  path: string
  /** Short name of the branch checked out there, or null when detached or unknown. */
  branchName: string | null
  head: string | null
  /** The folder exists (false: git still records it, but it was deleted). */
  exists: boolean
}

/**
 * Linked worktrees under `.lockstep/worktrees/` or on a `lockstep/*` branch, plus folders there that git no
 * longer knows, sorted by name. Outside git, an empty list. Throws INVALID_INPUT, NOT_FOUND (missing root).
 */
export async function listWorktrees(options: ListWorktreesOptions): Promise<WorktreeEntry[]> {
  const { root } = parseInput(ListWorktreesInput, options)
  const repo = openRepo(root)
  if (!repo) return []
  const base = worktreesDir(repo)
  const entries: WorktreeEntry[] = []
  for (const admin of await readAdminEntries(repo)) {
    const ref = admin.head?.ref ?? null
    const branchName = ref?.startsWith('refs/heads/') ? shortRef(ref) : null
    const underLockstep = admin.path !== null && admin.path.startsWith(`${base}/`)
    if (!underLockstep && !branchName?.startsWith(BRANCH_PREFIX)) continue
    const path = admin.path ?? join(base, admin.id)
    entries.push({ name: basename(path), path, branchName, head: admin.head?.oid ?? null, exists: fs.existsSync(path) })
  }
  const known = new Set(entries.map((entry) => entry.path))
  const folders = await fs.promises.readdir(base, { withFileTypes: true }).catch(() => [])
  for (const folder of folders) {
    const path = join(base, folder.name)
    if (folder.isDirectory() && !known.has(path)) entries.push({ name: folder.name, path, branchName: null, head: null, exists: true })
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.path < b.path ? -1 : 1))
}
