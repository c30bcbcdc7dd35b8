import { existsSync } from 'node:fs'
import { basename } from 'node:path'
import type { ProjectRef } from '../../storage/documents.js'
import type { Ctx } from '../state/context.js'
import { isLockstepError } from '../errors.js'
import { listWorktrees, worktreeStatus, type WorktreeEntry } from '../git/index.js'

const FRESH_MS = 3000

export interface WorktreeRow {
  name: string
  path: string
  branch: string | null
  agent?: string
  exists: boolean
  ahead?: number
  behind?: number
  baseBranch?: string | null
  uncommitted?: boolean
  /** The error code when the status could not be read. */
  problem?: string
}

// git status walks trees, so a burst of store changes shares one reading per project
const cache = new Map<string, { at: number; rows: Promise<WorktreeRow[]> }>()

/** The project's lockstep worktrees and the agents' recorded ones, with ahead/behind against their base branch. */
export function worktreesView(ctx: Ctx, ref: ProjectRef): Promise<WorktreeRow[]> {
  const hit = cache.get(ref.id)
  if (hit && Date.now() - hit.at < FRESH_MS) return hit.rows
  const rows = readWorktrees(ctx, ref)
  cache.set(ref.id, { at: Date.now(), rows })
  return rows
}

async function readWorktrees(ctx: Ctx, ref: ProjectRef): Promise<WorktreeRow[]> {
  const { agents } = await ctx.store.read(ref, 'agents')
  const listed: WorktreeEntry[] = existsSync(ref.root) ? await listWorktrees({ root: ref.root }).catch(() => []) : []
  const rows: WorktreeRow[] = listed.map((entry) => ({ name: entry.name, path: entry.path, branch: entry.branchName, exists: entry.exists }))
  for (const agent of agents) {
    if (!agent.worktreePath) continue
    const row = rows.find((item) => item.path === agent.worktreePath)
    if (row) row.agent = agent.name
    else rows.push({ name: basename(agent.worktreePath), path: agent.worktreePath, branch: agent.branchName ?? null, agent: agent.name, exists: existsSync(agent.worktreePath) })
  }
  await Promise.all(
    rows.map(async (row) => {
      if (!existsSync(ref.root)) return
      const base = agents.find((agent) => agent.name === row.agent)?.baseBranch
      try {
        const status = await worktreeStatus({ root: ref.root, name: row.name, ...(base ? { baseBranch: base } : {}) })
        Object.assign(row, { ahead: status.ahead, behind: status.behind, baseBranch: status.baseBranch, uncommitted: status.hasUncommittedChanges, branch: status.branch })
      } catch (error) {
        row.problem = isLockstepError(error) ? error.code : 'INTERNAL'
      }
    }),
  )
  return rows
}
