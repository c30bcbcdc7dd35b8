import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import * as v from 'valibot'
import type { ProjectRef } from '../../storage/documents.js'
import { acquireFileLock } from '../../storage/locks/file-lock.js'
import type { Ctx } from '../state/context.js'
import { isLockstepError, LockstepError } from '../errors.js'
import * as git from '../git/index.js'
import { requirePlanner } from '../state/identity.js'
import { mutate } from '../state/project-tx.js'
import { type Docs } from '../state/domain-tx.js'
import { projectFor } from '../state/projects.js'
import type { Agent } from '../state/schema.js'
import { Id, ProjectRoot, parseInput } from '../core/validate.js'
import { sameName } from '../core/names.js'
import { agentView, livenessOf } from '../agents/agent-views.js'

// git work can take seconds on a large tree, so a writer waits longer than for the store
const REPO_LOCK_WAIT_MS = 60_000

/** Serialise this project's repository writes across processes (`<store>/git.lock/`), outside any store transaction. */
export function repoLockFor(project: ProjectRef): git.RepoLock {
  return async (fn) => {
    await mkdir(project.dir, { recursive: true })
    const held = await acquireFileLock(join(project.dir, 'git'), Date.now() + REPO_LOCK_WAIT_MS)
    try {
      return await fn()
    } finally {
      await held.release()
    }
  }
}

/** An implementer by id or name. Throws NOT_FOUND. */
function getImplementer(docs: Pick<Docs, 'agents'>, idOrName: string): Agent {
  const agent = docs.agents.agents.find((item) => item.role === 'implementer' && (item.id === idOrName || sameName(item.name, idOrName)))
  if (!agent) throw new LockstepError('NOT_FOUND', `No implementer ${idOrName} in this project; list them with implementer_list.`, { implementerId: idOrName })
  return agent
}

export const WorktreeStatusInput = v.strictObject({ implementerId: Id, projectRoot: ProjectRoot })

/** Where an implementer's worktree stands against its base branch. Throws NOT_FOUND. */
export async function getWorktreeStatus(ctx: Ctx, raw: unknown) {
  const input = parseInput(WorktreeStatusInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const agents = await ctx.store.read(project, 'agents')
  const agent = getImplementer({ agents }, input.implementerId)
  const implementer = agentView(ctx, agent, { agents }, ctx.now())
  if (agent.isolation !== 'worktree') {
    return { found: true as const, implementer, isolation: 'shared' as const, message: `${agent.name} works in the shared checkout at ${project.root}; there is no worktree to merge.` }
  }
  const { commits, diff, ...worktreeStatus } = await git.worktreeStatus({ root: project.root, name: agent.name, ...(agent.baseBranch ? { baseBranch: agent.baseBranch } : {}) })
  return { found: true as const, implementer, worktreeStatus, commits, diff, instruction: statusInstruction(agent.name, worktreeStatus) }
}

function statusInstruction(name: string, status: Omit<git.WorktreeStatus, 'commits' | 'diff'>): string {
  const base = status.baseBranch ?? 'the main checkout'
  if (status.missing) {
    return status.ahead
      ? `The worktree ${status.path} is missing, but ${status.branch} has ${status.ahead} commit(s) for ${base}: merge them with worktree_merge {implementerId: "${name}"}, or drop them with worktree_cleanup {force: true}.`
      : `The worktree ${status.path} is missing and ${status.branch} has nothing to merge; clean up with worktree_cleanup.`
  }
  if (status.hasUncommittedChanges) {
    const files = [...status.modifiedFiles, ...status.untrackedFiles]
    return `${files.length} uncommitted file(s) in ${status.path} (e.g. ${files[0]}): ${name} must commit them on ${status.branch} before worktree_merge.`
  }
  if (status.ahead) {
    const behind = status.behind ? ` ${base} is ${status.behind} commit(s) ahead too; a merge commit will be made.` : ''
    return `${status.ahead} commit(s) ready to merge into ${base}: worktree_merge {implementerId: "${name}"}.${behind}`
  }
  return `Nothing to merge: ${status.branch} has no commits missing from ${base}.`
}

// the branch name rules are checked by the git layer
export const MergeWorktreeInput = v.strictObject({ implementerId: Id, targetBranch: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(255))), projectRoot: ProjectRoot })

/** Merge an implementer's branch into its base (planner only); the main checkout never switches. Throws NOT_FOUND, CONFLICT, FORBIDDEN. */
export async function mergeWorktree(ctx: Ctx, raw: unknown) {
  const input = parseInput(MergeWorktreeInput, raw)
  requirePlanner(ctx, 'worktree_merge')
  const project = projectFor(ctx, input.projectRoot)
  const agent = getImplementer({ agents: await ctx.store.read(project, 'agents') }, input.implementerId)
  if (agent.isolation !== 'worktree') {
    throw new LockstepError('CONFLICT', `${agent.name} works in the shared checkout, not a worktree; its changes are already there. Review and approve its task instead.`, {
      implementer: agent.name,
      isolation: agent.isolation,
    })
  }
  const targetBranch = input.targetBranch ?? agent.baseBranch
  const result = await git.mergeWorktree({ root: project.root, name: agent.name, ...(targetBranch ? { targetBranch } : {}), withRepoLock: repoLockFor(project) })
  if (!result.merged) {
    return { success: true as const, merged: false as const, message: `Nothing to merge: ${result.targetBranch} already contains ${result.branch}.` }
  }
  const inReview = await mutate(ctx, project, ['agents', 'tasks', 'notes'], (docs, tx) => {
    tx.note(`[SYSTEM] Merged ${result.branch} (${agent.name}) into ${result.targetBranch}: ${result.commits} commit(s).`)
    tx.emit({ type: 'worktree.merged', actor: tx.actor, ids: { agent: agent.name }, data: { branch: result.branch, target: result.targetBranch, commits: result.commits } })
    return docs.tasks.tasks.filter((task) => task.status === 'review' && sameName(task.owner, agent.name)).map((task) => task.id)
  })
  const { commits: _commits, ...merged } = result
  return {
    success: true as const,
    ...merged,
    instruction: inReview.length
      ? `Merged. If the review is done, approve ${inReview.join(', ')} with task_approve${inReview.length > 1 ? ' or task_approve_batch' : ''}.`
      : `Merged into ${result.targetBranch}. The worktree is kept; worktree_cleanup removes it once ${agent.name} is stopped.`,
  }
}

export const ListWorktreesInput = v.strictObject({ projectRoot: ProjectRoot })

/** The project's lockstep worktrees with their implementers. */
export async function listWorktrees(ctx: Ctx, raw: unknown) {
  const input = parseInput(ListWorktreesInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  if (!git.findMainWorkingTree(project.root)) return { count: 0, worktrees: [], message: `${project.root} is not a git repository, so it has no worktrees.` }
  const [entries, agents] = await Promise.all([git.listWorktrees({ root: project.root }), ctx.store.read(project, 'agents')])
  const now = ctx.now()
  const worktrees = entries.map((entry) => {
    const agent = ownerOf(agents.agents, entry)
    return {
      ...entry,
      ...(agent?.baseBranch ? { baseBranch: agent.baseBranch } : {}),
      implementer: agent ? { id: agent.id, name: agent.name, status: agent.status, liveness: livenessOf(ctx, agent, agents.sessions, now) } : null,
    }
  })
  return { count: worktrees.length, worktrees }
}

function ownerOf(agents: Agent[], entry: { name: string; path: string }): Agent | undefined {
  return agents.find((agent) => agent.worktreePath === entry.path) ?? agents.find((agent) => agent.role === 'implementer' && sameName(agent.name, entry.name))
}

export const CleanupWorktreesInput = v.strictObject({ force: v.optional(v.boolean(), false), dryRun: v.optional(v.boolean(), false), projectRoot: ProjectRoot })

type Cleaned = { name: string; path: string; branch: string; action: 'removed' | 'removed_branch_kept' | 'branch_deleted' | 'would_remove' }

/**
 * Remove the worktrees of stopped, missing or gone implementers; never an alive one's. Without force (planner only),
 * dirty or unmerged worktrees are skipped. Throws FORBIDDEN.
 */
export async function cleanupWorktrees(ctx: Ctx, raw: unknown) {
  const input = parseInput(CleanupWorktreesInput, raw)
  if (input.force) requirePlanner(ctx, 'worktree_cleanup with force')
  const project = projectFor(ctx, input.projectRoot)
  const cleaned: Cleaned[] = []
  const skipped: { name: string; reason: string }[] = []
  const done = () => ({
    success: true as const,
    dryRun: input.dryRun,
    cleanedCount: cleaned.length,
    cleaned,
    skipped,
    message: `${input.dryRun ? 'Would remove' : 'Removed'} ${cleaned.length} worktree(s)${skipped.length ? `; skipped ${skipped.length} (see skipped)` : ''}.`,
  })
  if (!git.findMainWorkingTree(project.root)) return done()
  const withRepoLock = repoLockFor(project)
  if (!input.dryRun) await git.pruneWorktrees({ root: project.root, withRepoLock })
  const [entries, agents] = await Promise.all([git.listWorktrees({ root: project.root }), ctx.store.read(project, 'agents')])
  const now = ctx.now()
  for (const entry of entries) {
    const agent = ownerOf(agents.agents, entry)
    const liveness = agent ? livenessOf(ctx, agent, agents.sessions, now) : 'gone'
    if (agent && (liveness === 'alive' || liveness === 'starting' || (agent.status === 'active' && liveness !== 'gone'))) {
      skipped.push({ name: entry.name, reason: `implementer ${agent.name} is ${agent.status} and ${liveness}; stop it first (implementer_reset).` })
      continue
    }
    if (entry.path !== join(project.root, '.lockstep', 'worktrees', entry.name)) {
      skipped.push({ name: entry.name, reason: `${entry.path} is outside .lockstep/worktrees; remove it with git worktree remove.` })
      continue
    }
    const baseBranch = agent?.baseBranch
    try {
      if (input.dryRun) {
        const refusal = input.force ? null : await removalRefusal(project.root, entry.name, baseBranch)
        if (refusal) skipped.push({ name: entry.name, reason: refusal })
        else cleaned.push({ name: entry.name, path: entry.path, branch: entry.branchName ?? `lockstep/${entry.name}`, action: 'would_remove' })
        continue
      }
      const removed = await git.removeWorktree({ root: project.root, name: entry.name, force: input.force, ...(baseBranch ? { baseBranch } : {}), withRepoLock })
      const action = removed.removed ? (removed.branchDeleted ? 'removed' : 'removed_branch_kept') : 'branch_deleted'
      cleaned.push({ name: entry.name, path: removed.path, branch: removed.branch, action })
    } catch (error) {
      if (!isLockstepError(error)) throw error
      skipped.push({ name: entry.name, reason: error.message })
    }
  }
  const removals = cleaned.filter((item) => item.action !== 'would_remove')
  if (removals.length) {
    await mutate(ctx, project, ['agents'], (_docs, tx) => {
      for (const item of removals) tx.emit({ type: 'worktree.removed', actor: tx.actor, ids: { agent: item.name }, data: { branch: item.branch } })
    })
  }
  return done()
}

/** What would stop a removal without force: uncommitted files, or commits missing from the base branch. */
async function removalRefusal(root: string, name: string, baseBranch: string | undefined): Promise<string | null> {
  const status = await git.worktreeStatus({ root, name, ...(baseBranch ? { baseBranch } : {}) })
  const files = [...status.modifiedFiles, ...status.untrackedFiles]
  if (files.length) return `${files.length} uncommitted file(s) in ${status.path}, e.g. ${files[0]}; commit and merge them, or clean up with force.`
  if (status.ahead) return `${status.ahead} commit(s) missing from ${status.baseBranch ?? 'the main checkout'}; merge them first, or clean up with force.`
  return null
}
