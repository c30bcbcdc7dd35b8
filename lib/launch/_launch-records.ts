import { homedir } from 'node:os'
import { join } from 'node:path'
import type { ProjectRef } from '../../storage/documents.js'
import type { Ctx } from '../state/context.js'
import { HOST } from '../../storage/host.js'
import { LockstepError } from '../errors.js'
import { newId } from '../core/ids.js'
import { liveHolder } from '../state/identity.js'
import { mutate } from '../state/project-tx.js'
import { type Docs } from '../state/domain-tx.js'
import type { Agent } from '../state/schema.js'
import { sameName } from '../core/names.js'
import { setProjectStatus } from '../project/project-status.js'
import { shellQuote, withEnv } from '../core/quote.js'
import type { TmuxPane } from './launchers.js'

export type Launcher = NonNullable<Agent['launcher']>

export interface Reservation {
  id: string
  name: string
  /** The record as it was before (a stopped implementer reused), to put back when the launch fails. */
  previous: Agent | null
}

export interface LaunchPlan {
  name?: string
  type: 'claude' | 'codex'
  isolation: Agent['isolation']
  launcher: Launcher
  worktreePath?: string
  branchName?: string
  /** The session that launched it; implementer_reset --kill closes only what its own session launched. */
  launchedBy: string
}

/** Why `name` cannot be launched now: an agent of another role, an active implementer, or a live session. */
export function nameRefusal(ctx: Pick<Ctx, 'isAlive'>, docs: Pick<Docs, 'agents'>, name: string): LockstepError | null {
  const agent = docs.agents.agents.find((item) => sameName(item.name, name))
  if (agent && agent.role !== 'implementer') {
    return new LockstepError('CONFLICT', `${agent.name} is registered as ${agent.role}; pick another name for the implementer.`, { name: agent.name, role: agent.role })
  }
  if (agent?.status === 'active') {
    return new LockstepError('CONFLICT', `Implementer ${agent.name} is active; pick another name, or stop it first with implementer_reset.`, { name: agent.name, status: agent.status })
  }
  const holder = liveHolder(ctx, docs.agents.agents, docs.agents.sessions, name)
  if (holder) {
    return new LockstepError('CONFLICT', `${name} is held by a live session (pid ${holder.pid ?? '?'} on ${holder.host}); pick another name.`, { name, holder: { pid: holder.pid, host: holder.host } })
  }
  return null
}

/** The lowest `impl-N` that can be launched now. */
export function freeImplementerName(ctx: Pick<Ctx, 'isAlive'>, docs: Pick<Docs, 'agents'>): string {
  for (let n = 1; ; n++) if (!nameRefusal(ctx, docs, `impl-${n}`)) return `impl-${n}`
}

/** Record the implementer before it starts, so that an agent connecting at once finds its worktree. Throws CONFLICT. */
export async function reserveImplementer(ctx: Ctx, project: ProjectRef, plan: LaunchPlan): Promise<Reservation> {
  return mutate(ctx, project, ['project', 'agents'], (docs, tx) => {
    if (tx.created) tx.emit({ type: 'project.created', actor: 'system', ids: {}, data: { changes: ['root'] } })
    const name = plan.name ?? freeImplementerName(ctx, docs)
    const refusal = nameRefusal(ctx, docs, name)
    if (refusal) throw refusal
    const now = tx.now.toISOString()
    let agent = docs.agents.agents.find((item) => sameName(item.name, name))
    const previous = agent ? (JSON.parse(JSON.stringify(agent)) as typeof agent) : null
    if (!agent) {
      agent = {
        id: newId('agent'),
        name,
        role: 'implementer',
        type: plan.type,
        status: 'active',
        isolation: plan.isolation,
        projectRoot: project.root,
        createdAt: now,
        updatedAt: now,
        pendingNotices: [],
      }
      docs.agents.agents.push(agent)
    }
    for (const key of ['stoppedReason', 'sessionId', 'goneSince', 'tmux', 'pid', 'worktreePath', 'branchName', 'baseBranch'] as const) delete agent[key]
    // a fresh agent must not start by reading the stop notices of the one it replaces
    agent.pendingNotices = []
    Object.assign(agent, {
      type: plan.type,
      status: 'active',
      isolation: plan.isolation,
      launcher: plan.launcher,
      host: HOST,
      launchedBy: plan.launchedBy,
      updatedAt: now,
      ...(plan.worktreePath ? { worktreePath: plan.worktreePath, branchName: plan.branchName } : {}),
    })
    return { id: agent.id, name: agent.name, previous }
  })
}

/** Undo a reservation after a failed launch: the record is put back as it was, or removed. */
export async function releaseReservation(ctx: Ctx, project: ProjectRef, reservation: Reservation): Promise<void> {
  await mutate(ctx, project, ['agents'], (docs) => {
    const index = docs.agents.agents.findIndex((item) => item.id === reservation.id)
    if (index < 0 || docs.agents.agents[index].sessionId) return
    if (reservation.previous) docs.agents.agents[index] = reservation.previous
    else docs.agents.agents.splice(index, 1)
  })
}

export interface LaunchOutcome {
  pane?: TmuxPane
  worktree?: { path: string; branch: string; baseBranch: string | null; created: boolean }
}

/** After a successful start: the pane and worktree, the project in progress, a note and the events. */
export async function recordLaunch(ctx: Ctx, project: ProjectRef, reservation: Reservation, plan: LaunchPlan, outcome: LaunchOutcome): Promise<Agent> {
  return mutate(ctx, project, ['project', 'agents', 'notes'], (docs, tx) => {
    const agent = docs.agents.agents.find((item) => item.id === reservation.id)
    if (!agent) throw new LockstepError('CONFLICT', `Implementer ${reservation.name} was removed while it was being launched; launch it again.`, { name: reservation.name })
    const { pane, worktree } = outcome
    if (pane) Object.assign(agent, { tmux: { session: pane.session, windowId: pane.windowId, paneId: pane.paneId, ...(pane.socket ? { socket: pane.socket } : {}) }, pid: pane.pid })
    if (worktree) Object.assign(agent, { worktreePath: worktree.path, branchName: worktree.branch, ...(worktree.baseBranch ? { baseBranch: worktree.baseBranch } : {}) })
    agent.updatedAt = tx.now.toISOString()
    if (docs.project.status === 'planning' || docs.project.status === 'ready') setProjectStatus(docs, tx, 'in_progress')
    tx.note(`[SYSTEM] Implementer "${agent.name}" (${plan.type}) started via ${plan.launcher}${worktree ? `, worktree branch ${worktree.branch}` : ''}.`)
    tx.emit({ type: 'agent.launched', actor: tx.actor, ids: { agent: agent.name }, data: { role: 'implementer', type: plan.type, launcher: plan.launcher } })
    if (worktree?.created) tx.emit({ type: 'worktree.created', actor: tx.actor, ids: { agent: agent.name }, data: { branch: worktree.branch } })
    return JSON.parse(JSON.stringify(agent)) as typeof agent
  })
}

/**
 * The command that starts an agent, runnable by hand in any POSIX shell: `cd <cwd> && env LOCKSTEP_…=… <agent> '<prompt>'`.
 * LOCKSTEP_HOME is passed only when it is not the default, so the agent's server finds the same store.
 */
export function agentCommand(ctx: Pick<Ctx, 'settings'>, options: { agentCmd: string; name: string; cwd: string; prompt?: string; tmuxSession?: string }): string {
  const env: Record<string, string> = { LOCKSTEP_AGENT_NAME: options.name }
  if (options.tmuxSession) env.LOCKSTEP_TMUX_SESSION = options.tmuxSession
  if (ctx.settings.home !== join(homedir(), '.lockstep-mcp')) env.LOCKSTEP_HOME = ctx.settings.home
  const agent = options.prompt === undefined ? options.agentCmd : `${options.agentCmd} ${shellQuote(options.prompt)}`
  return `cd ${shellQuote(options.cwd)} && ${withEnv(env, agent)}`
}
