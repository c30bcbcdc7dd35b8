import type { DomainTx, Docs } from '../state/domain-tx.js'
import type { DocName } from '../state/schema.js'

export function setProjectStatus(docs: Pick<Docs, 'project'> & Partial<Pick<Docs, 'agents'>>, tx: DomainTx<DocName>, to: Docs['project']['status']): void {
  const from = docs.project.status
  if (from === to) return
  docs.project.status = to
  if (docs.project.context) docs.project.context.updatedAt = tx.now.toISOString()
  tx.emit({ type: 'project.status_changed', actor: tx.actor, ids: {}, for: namesWithRole(docs, 'implementer'), data: { from, to } })
}

export function namesWithRole(docs: Partial<Pick<Docs, 'agents'>>, role: 'planner' | 'implementer'): string[] {
  return (docs.agents?.agents ?? []).filter((agent) => agent.role === role).map((agent) => agent.name)
}
