import type { ProjectRef } from '../../storage/documents.js'
import type { Ctx } from '../state/context.js'
import { HOST } from '../../storage/host.js'
import { goneEvidence, renewLeases } from '../state/leases.js'
import { listTmuxPanes } from '../launch/launchers.js'
import { mutate } from '../state/project-tx.js'
import { projectFor } from '../state/projects.js'
import type { Notice } from '../state/schema.js'
import { sameName } from '../core/names.js'

const RENEW_AT_LEAST_EVERY_MS = 60_000

/**
 * Before a registered session's call: renew its leases once half the TTL has passed since the last renewal (at most
 * once a minute), as an ordinary transaction. A live session's leases do not lapse anyway (lib/state/leases.ts): renewing
 * keeps `lastSeenAt` for sessions of other hosts and the expiry times shown to others honest, at one write per half TTL.
 */
export async function renewIfDue(ctx: Ctx): Promise<void> {
  const binding = ctx.caller.binding
  if (!binding) return
  const last = ctx.caller.renewedAt.get(binding.projectId) ?? 0
  if (Date.now() - last < Math.max(RENEW_AT_LEAST_EVERY_MS, (ctx.settings.leaseTtlSec * 1000) / 2)) return
  ctx.caller.renewedAt.set(binding.projectId, Date.now())
  const project = projectFor(ctx, binding.projectRoot)
  await mutate(ctx, project, ['agents', 'tasks', 'locks', 'notes'], (docs, tx) => {
    const now = tx.now.toISOString()
    const session = docs.agents.sessions.find((item) => item.id === ctx.caller.sessionId)
    if (session) Object.assign(session, { lastSeenAt: now, leasesRenewedAt: now })
    renewLeases(docs, binding.name, tx.now, ctx.settings.leaseTtlSec * 1000)
  })
}

const NOTICE_STALE_MS = 50

/** After a registered session's call: take the notices queued for it, if any (a lock-free look first). */
export async function collectNotices(ctx: Ctx): Promise<Notice[]> {
  const binding = ctx.caller.binding
  if (!binding) return []
  const project = projectFor(ctx, binding.projectRoot)
  // the call has usually just caught up (its own commit or read): a notice newer than that comes with the next result
  const agents = await ctx.store.read(project, 'agents', { maxStaleMs: NOTICE_STALE_MS })
  if (!agents.agents.some((agent) => sameName(agent.name, binding.name) && agent.pendingNotices.length)) return []
  return mutate(ctx, project, ['agents'], (docs) => docs.agents.agents.find((agent) => sameName(agent.name, binding.name))?.pendingNotices.splice(0) ?? [])
}

/** Mark the session as ended on a clean exit; its claims stay and liveness handles them. */
export async function endSession(ctx: Ctx): Promise<void> {
  const binding = ctx.caller.binding
  if (!binding) return
  const project = projectFor(ctx, binding.projectRoot)
  await ctx.store.transact(project, ['agents'], (docs, tx) => {
    const session = docs.agents.sessions.find((item) => item.id === ctx.caller.sessionId)
    if (session && !session.endedAt) session.endedAt = tx.now.toISOString()
  })
}

/**
 * A sweep (every 15 s with jitter in every server): tmux panes of launched agents are probed first (a child process,
 * so never inside a transaction) and a dead one is recorded as evidence; then a lock-free look for expired leases and
 * gone agents, and a transaction only when something is due. The transaction's expiry step does the work.
 */
export async function sweepProject(ctx: Ctx, projectRoot: string): Promise<boolean> {
  const project = ctx.store.project(projectRoot)
  await recordDeadPanes(ctx, project)
  const [agents, tasks, locks] = await Promise.all([ctx.store.read(project, 'agents'), ctx.store.read(project, 'tasks'), ctx.store.read(project, 'locks')])
  const now = ctx.now().getTime()
  const nowIso = ctx.now().toISOString()
  const graceMs = ctx.settings.graceSec * 1000
  const due =
    tasks.tasks.some((task) => task.owner && task.leaseExpiresAt && Date.parse(task.leaseExpiresAt) <= now && task.status !== 'review' && task.status !== 'done' && task.status !== 'todo') ||
    locks.locks.some((lock) => lock.status === 'active' && Date.parse(lock.expiresAt) <= now && tasks.tasks.find((task) => task.id === lock.taskId)?.status !== 'review') ||
    agents.agents.some((agent) => {
      const since = goneEvidence(ctx.isAlive, agent, agents.sessions, nowIso, false)
      return since !== null && (since === nowIso || Date.parse(since) + graceMs <= now)
    })
  if (!due) return false
  await mutate(ctx, project, ['agents', 'tasks', 'locks', 'notes'], () => undefined, { actor: 'system' })
  return true
}

/** Launched agents of this host that never connected and whose tmux pane is dead or gone get `goneSince`. */
async function recordDeadPanes(ctx: Ctx, project: ProjectRef): Promise<void> {
  const { agents } = await ctx.store.read(project, 'agents')
  const watched = agents.filter((agent) => agent.status === 'active' && agent.tmux && agent.host === HOST && !agent.sessionId && !agent.goneSince)
  if (!watched.length) return
  const dead = new Set<string>()
  for (const socket of new Set(watched.map((agent) => agent.tmux!.socket))) {
    const panes = await listTmuxPanes(socket)
    if (!panes) continue
    for (const agent of watched.filter((item) => item.tmux!.socket === socket)) {
      const pane = panes.get(agent.tmux!.paneId)
      if (!pane || pane.dead) dead.add(agent.id)
    }
  }
  if (!dead.size) return
  await mutate(
    ctx,
    project,
    ['agents'],
    (docs, tx) => {
      for (const agent of docs.agents.agents) {
        // re-checked under the lock: the agent may have connected since the probe
        if (dead.has(agent.id) && agent.status === 'active' && !agent.sessionId && !agent.goneSince) agent.goneSince = tx.now.toISOString()
      }
    },
    { actor: 'system' },
  )
}
