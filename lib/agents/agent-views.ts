import type { Ctx } from '../state/context.js'
import type { Docs } from '../state/domain-tx.js'
import type { Agent, Session } from '../state/schema.js'

export type Liveness = 'alive' | 'starting' | 'gone' | 'unknown'

/** alive / starting / gone / unknown, from the bound session, or the launched process before it connects. */
export function livenessOf(ctx: Pick<Ctx, 'isAlive' | 'settings'>, agent: Agent, sessions: Session[], now: Date): Liveness {
  const session = agent.sessionId ? sessions.find((item) => item.id === agent.sessionId) : undefined
  if (session) {
    if (session.endedAt || session.goneAt) return 'gone'
    if (session.transport === 'stdio' && session.pid !== undefined) return ctx.isAlive(session.pid, session.host) ? 'alive' : 'gone'
    // an open HTTP session is alive while its server runs, however long its agent is quiet
    if (session.server) return ctx.isAlive(session.server.pid, session.server.host) ? 'alive' : 'gone'
    return Date.parse(session.lastSeenAt) + ctx.settings.leaseTtlSec * 1000 > now.getTime() ? 'alive' : 'gone'
  }
  if (agent.status === 'active' && agent.launcher) {
    // goneSince: the sweep saw its tmux pane dead
    if (agent.goneSince) return 'gone'
    if (agent.pid !== undefined && agent.host) return ctx.isAlive(agent.pid, agent.host) ? 'starting' : 'gone'
    return 'starting'
  }
  return agent.status === 'stopped' ? 'gone' : 'unknown'
}

export function agentView(ctx: Pick<Ctx, 'isAlive' | 'settings'>, agent: Agent, docs: Pick<Docs, 'agents'>, now: Date) {
  const session = agent.sessionId ? docs.agents.sessions.find((item) => item.id === agent.sessionId) : undefined
  const { pendingNotices: _notices, sessionId: _session, goneSince: _gone, launchedBy: _by, host: _host, tmux, ...rest } = agent
  return {
    ...rest,
    ...(tmux ? { tmux: { session: tmux.session, windowId: tmux.windowId, paneId: tmux.paneId } } : {}),
    liveness: livenessOf(ctx, agent, docs.agents.sessions, now),
    ...(session
      ? {
          session: {
            id: session.id,
            ...(session.pid !== undefined ? { pid: session.pid } : {}),
            host: session.host,
            ...(session.client ? { client: session.client } : {}),
            startedAt: session.startedAt,
            lastSeenAt: session.lastSeenAt,
          },
        }
      : {}),
  }
}

export function agentType(clientName: string | undefined): Agent['type'] {
  const name = (clientName ?? '').toLowerCase()
  if (name === 'claude-code' || name.startsWith('claude')) return 'claude'
  if (name.startsWith('codex')) return 'codex'
  return 'other'
}
