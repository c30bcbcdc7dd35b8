import { HOST } from '../../storage/host.js'
import * as v from 'valibot'
import type { Ctx } from '../state/context.js'
import { LockstepError } from '../errors.js'
import { newId } from '../core/ids.js'
import { liveHolder } from '../state/identity.js'
import { renewLeases } from '../state/leases.js'
import { mutate } from '../state/project-tx.js'
import { type DomainTx, type Docs } from '../state/domain-tx.js'
import { projectFor } from '../state/projects.js'
import { contextBrief, implementerGuidance, plannerGuidance } from './guidance.js'
import { ROLES, type Agent, type DocName } from '../state/schema.js'
import { Name, ProjectRoot, parseInput } from '../core/validate.js'
import { sameName } from '../core/names.js'
import { agentType, livenessOf } from './agent-views.js'
import { clientChain } from '../core/ancestors.js'

export const CoordinationInitInput = v.strictObject({ role: v.picklist(ROLES), name: v.optional(Name), projectRoot: ProjectRoot })

/** Register this session as an agent of the project and return guidance for its role and phase. Throws CONFLICT, FORBIDDEN. */
export async function coordinationInit(ctx: Ctx, raw: unknown) {
  const input = parseInput(CoordinationInitInput, raw)
  const binding = ctx.caller.binding
  if (binding && (binding.role !== input.role || (input.name && !sameName(input.name, binding.name)))) {
    throw new LockstepError(
      'FORBIDDEN',
      `This session is registered as ${binding.name} (${binding.role}); role and name are fixed for a session. Call coordination_init with role "${binding.role}" or leave name out.`,
      {
        registered: { name: binding.name, role: binding.role },
      },
    )
  }
  const project = projectFor(ctx, input.projectRoot)
  const envName = ctx.settings.agentName
  const wanted = binding?.name ?? input.name ?? (envName && v.is(Name, envName) ? envName : undefined)
  // read before the transaction (it may run `ps`): the ancestry of the agent's server process (or its relay), on this host
  if (ctx.caller.transport === 'stdio' && ctx.caller.pid !== undefined && ctx.caller.host === HOST) ctx.caller.ancestors ??= clientChain(ctx.caller.pid)
  const discussions = await ctx.store.read(project, 'discussions').catch(() => ({ discussions: [] as Docs['discussions']['discussions'] }))
  const result = await mutate(ctx, project, ['project', 'agents', 'tasks', 'locks', 'notes'], (docs, tx) => {
    if (tx.created) tx.emit({ type: 'project.created', actor: 'system', ids: {}, data: { changes: ['root'] } })
    const name = wanted ?? defaultName(ctx, docs, input.role)
    const agent = bindAgent(ctx, docs, tx, name, input.role)
    const notices = agent.pendingNotices.splice(0)
    renewLeases(docs, agent.name, tx.now, ctx.settings.leaseTtlSec * 1000)
    const view = contextBrief(docs.project)
    const implementers = docs.agents.agents.filter((item) => item.role === 'implementer')
    const inbox = discussions.discussions.filter((item) => item.status === 'waiting' && sameName(item.waitingOn, agent.name)).length
    const guidance =
      input.role === 'planner'
        ? plannerGuidance({
            docs,
            contextView: view,
            inbox,
            implementers: {
              total: implementers.length,
              active: implementers.filter((item) => item.status === 'active').length,
              alive: implementers.filter((item) => livenessOf(ctx, item, docs.agents.sessions, tx.now) === 'alive').length,
            },
          })
        : { ...implementerGuidance(docs, agent), inbox }
    return {
      agent,
      body: {
        role: input.role,
        ...guidance,
        agent: { name: agent.name },
        project: { id: project.id, status: docs.project.status },
        ...(input.role === 'implementer' ? { inbox } : {}),
        ...(notices.length ? { _notices: notices } : {}),
      },
    }
  })
  ctx.caller.binding = { projectId: project.id, projectRoot: project.root, agentId: result.agent.id, name: result.agent.name, role: input.role }
  ctx.caller.renewedAt.set(project.id, Date.now())
  return result.body
}

function defaultName(ctx: Ctx, docs: Pick<Docs, 'agents'>, role: Agent['role']): string {
  const taken = (name: string, needsInactive: boolean) => {
    if (liveHolder(ctx, docs.agents.agents, docs.agents.sessions, name)) return true
    const agent = docs.agents.agents.find((item) => sameName(item.name, name))
    if (agent && agent.role !== role) return true
    return needsInactive && agent?.status === 'active'
  }
  if (role === 'planner') {
    for (let n = 1; ; n++) if (!taken(n === 1 ? 'planner' : `planner-${n}`, false)) return n === 1 ? 'planner' : `planner-${n}`
  }
  for (let n = 1; ; n++) if (!taken(`impl-${n}`, true)) return `impl-${n}`
}

/** Create the agent or bind this session to it; a gone session's name is taken over with its claims and locks. */
function bindAgent(ctx: Ctx, docs: Pick<Docs, 'agents' | 'notes'>, tx: DomainTx<DocName>, name: string, role: Agent['role']): Agent {
  const now = tx.now.toISOString()
  let agent = docs.agents.agents.find((item) => sameName(item.name, name))
  if (agent && agent.role !== role) {
    throw new LockstepError('FORBIDDEN', `${agent.name} is registered as ${agent.role}, not ${role}; roles are fixed per name. Pick another name.`, { name: agent.name, role: agent.role })
  }
  const holder = liveHolder(ctx, docs.agents.agents, docs.agents.sessions, name)
  if (holder && holder.id !== ctx.caller.sessionId) {
    throw new LockstepError('CONFLICT', `${name} is held by a live session (pid ${holder.pid ?? '?'} on ${holder.host} since ${holder.startedAt}); pick another name or stop that session.`, {
      holder: { pid: holder.pid, host: holder.host, since: holder.startedAt },
    })
  }
  const type = agentType(ctx.caller.client?.name)
  const firstJoin = !agent
  if (!agent) {
    agent = { id: newId('agent'), name, role, type, status: 'active', isolation: 'shared', projectRoot: tx.project.root, createdAt: now, updatedAt: now, pendingNotices: [] }
    docs.agents.agents.push(agent)
  }
  const session = upsertSession(ctx, docs, tx, agent.id)
  Object.assign(agent, { status: 'active', sessionId: session.id, updatedAt: now, ...(type !== 'other' || !agent.type ? { type } : {}) })
  delete agent.stoppedReason
  delete agent.goneSince
  tx.emit({ type: 'agent.registered', actor: agent.name, ids: { agent: agent.name }, data: { role, type: agent.type, launcher: agent.launcher ?? 'manual' } })
  if (firstJoin) tx.note(`[SYSTEM] ${agent.name} joined as ${role}.`)
  return agent
}

function upsertSession(ctx: Ctx, docs: Pick<Docs, 'agents'>, tx: DomainTx<DocName>, agentId: string) {
  const now = tx.now.toISOString()
  const caller = ctx.caller
  let session = docs.agents.sessions.find((item) => item.id === caller.sessionId)
  if (!session) {
    session = {
      id: caller.sessionId,
      transport: caller.transport,
      ...(caller.pid !== undefined ? { pid: caller.pid } : {}),
      host: caller.host,
      ...(caller.server ? { server: caller.server } : {}),
      ...(caller.client ? { client: caller.client } : {}),
      projectId: tx.project.id,
      startedAt: now,
      lastSeenAt: now,
      leasesRenewedAt: now,
    }
    docs.agents.sessions.push(session)
  }
  const ancestors = caller.ancestors ?? []
  Object.assign(session, { agentId, lastSeenAt: now, leasesRenewedAt: now, ...(ancestors.length ? { ancestors } : {}) })
  return session
}
