import type { ProjectRef } from '../../storage/documents.js'
import type { Ctx } from './context.js'
import { isAliveOnHost } from '../../storage/host.js'
import { LockstepError } from '../errors.js'
import type { Agent, Session } from './schema.js'
import { sameName } from '../core/names.js'

/**
 * Resolve an identity parameter (owner, author, decidedBy; docs/tools.md): a registered session is its name and may not pass another; an
 * unregistered one passes any name not held by a live registered session, and must pass one when `required`.
 */
export async function identityFor(ctx: Ctx, project: ProjectRef, given: string | undefined, param: string, options: { required?: boolean } = {}): Promise<string> {
  if (ctx.caller.fixedActor) return ctx.caller.fixedActor
  const binding = ctx.caller.binding
  if (binding) {
    if (given !== undefined && !sameName(given, binding.name)) {
      throw new LockstepError('FORBIDDEN', `${param} must be ${binding.name}, the name this session registered; leave ${param} out.`, {
        [param]: given,
        registered: binding.name,
      })
    }
    return binding.name
  }
  if (given === undefined) {
    if (options.required) {
      throw new LockstepError('INVALID_INPUT', `Pass ${param}: this session never called coordination_init, so it has no name. Better: call coordination_init first.`, {
        property: param,
      })
    }
    return 'anonymous'
  }
  const agents = await ctx.store.read(project, 'agents')
  const holder = liveHolder(ctx, agents.agents, agents.sessions, given)
  if (holder) {
    throw new LockstepError('FORBIDDEN', `${given} belongs to a live registered session (pid ${holder.pid ?? '?'} on ${holder.host}); use your own name, or register with coordination_init.`, {
      [param]: given,
    })
  }
  return given
}

/** The live session bound to an agent name, if any. */
export function liveHolder(ctx: Pick<Ctx, 'isAlive'> | undefined, agents: Agent[], sessions: Session[], name: string): Session | undefined {
  const agent = agents.find((item) => sameName(item.name, name))
  if (!agent?.sessionId) return undefined
  const session = sessions.find((item) => item.id === agent.sessionId)
  if (!session || session.endedAt || session.goneAt) return undefined
  if (session.transport === 'stdio' && session.pid !== undefined && !(ctx?.isAlive ?? isAliveOnHost)(session.pid, session.host)) return undefined
  return session
}

/** Planner-only tools and options refuse a session registered as an implementer. */
export function requirePlanner(ctx: Ctx, tool: string): void {
  if (ctx.caller.binding?.role === 'implementer') {
    throw new LockstepError('FORBIDDEN', `${tool} is for the planner only; ${ctx.caller.binding.name} is an implementer. Ask the planner (discussion_start) instead.`, {
      tool,
      role: 'implementer',
    })
  }
}
