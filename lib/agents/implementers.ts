import * as v from 'valibot'
import type { Ctx } from '../state/context.js'
import { HOST } from '../../storage/host.js'
import { requirePlanner } from '../state/identity.js'
import { closeTmuxPane } from '../launch/launchers.js'
import { hasLease, releaseTaskLocks, clearOwnership, resolveLock } from '../state/leases.js'
import { mutate } from '../state/project-tx.js'
import { projectFor } from '../state/projects.js'
import { ProjectRoot, parseInput } from '../core/validate.js'
import { sameName } from '../core/names.js'
import { agentView, livenessOf } from './agent-views.js'

export const ListImplementersInput = v.strictObject({ projectRoot: ProjectRoot })

/** The implementers of the project with their liveness. */
export async function listImplementers(ctx: Ctx, raw: unknown) {
  const input = parseInput(ListImplementersInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const agents = await ctx.store.read(project, 'agents')
  const now = ctx.now()
  const implementers = agents.agents.filter((agent) => agent.role === 'implementer').map((agent) => agentView(ctx, agent, { agents }, now))
  return {
    total: implementers.length,
    active: implementers.filter((agent) => agent.status === 'active').length,
    alive: implementers.filter((agent) => agent.liveness === 'alive').length,
    implementers,
  }
}

export const ResetImplementersInput = v.strictObject({ kill: v.optional(v.boolean(), false), projectRoot: ProjectRoot })

/** Stop every active implementer: tasks back to todo, locks released, a notice each; `kill` ends what this server launched. */
export async function resetImplementers(ctx: Ctx, raw: unknown) {
  const input = parseInput(ResetImplementersInput, raw)
  requirePlanner(ctx, 'implementer_reset')
  const project = projectFor(ctx, input.projectRoot)
  const outcome = await mutate(ctx, project, ['agents', 'tasks', 'locks', 'notes'], (docs, tx) => {
    const stopped = docs.agents.agents.filter((agent) => agent.role === 'implementer' && agent.status === 'active')
    let tasksReturned = 0
    let locksReleased = 0
    for (const agent of stopped) {
      for (const task of docs.tasks.tasks.filter((item) => sameName(item.owner, agent.name) && item.status === 'in_progress' && hasLease(item))) {
        locksReleased += releaseTaskLocks(docs, task.id, 'reset', tx.actor, tx)
        clearOwnership(task, 'todo', tx)
        tasksReturned++
      }
      for (const lock of docs.locks.locks.filter((item) => item.status === 'active' && sameName(item.owner, agent.name))) {
        const task = lock.taskId ? docs.tasks.tasks.find((item) => item.id === lock.taskId) : undefined
        if (task?.status === 'review') continue
        resolveLock(lock, 'reset', tx.actor, tx.now)
        locksReleased++
      }
      Object.assign(agent, { status: 'stopped', stoppedReason: 'reset', updatedAt: tx.now.toISOString() })
      tx.notify(agent.name, { kind: 'stopped', reason: 'reset', by: tx.actor, message: `${tx.actor} stopped all implementers; stop work now and wait for instructions.` })
      tx.emit({ type: 'agent.stopped', actor: tx.actor, ids: { agent: agent.name }, for: [agent.name], data: { reason: 'reset' } })
    }
    const names = stopped.map((agent) => agent.name)
    tx.note(`[SYSTEM] Reset ${names.length} implementer(s): ${names.join(', ') || 'none'}; ${tasksReturned} task(s) returned, ${locksReleased} lock(s) released.`)
    const killable = stopped.filter((agent) => agent.launchedBy === ctx.caller.sessionId && agent.host === HOST)
    return { resetCount: names.length, tasksReturned, locksReleased, killable: killable.map((agent) => ({ name: agent.name, pid: agent.pid, tmux: agent.tmux })) }
  })
  const killed: string[] = []
  if (input.kill) for (const agent of outcome.killable) if (await killLaunched(agent)) killed.push(agent.name)
  return {
    success: true as const,
    resetCount: outcome.resetCount,
    tasksReturned: outcome.tasksReturned,
    locksReleased: outcome.locksReleased,
    killed,
    message: `Stopped ${outcome.resetCount} implementer(s)${killed.length ? `, closed ${killed.join(', ')}` : ''}.`,
  }
}

/** Close a tmux pane this server launched, after checking that it still runs the recorded pid; never any other process. */
async function killLaunched(agent: { pid?: number; tmux?: { paneId: string; socket?: string } }): Promise<boolean> {
  return agent.tmux ? closeTmuxPane(agent.tmux, agent.pid) : false
}

export { livenessOf }
