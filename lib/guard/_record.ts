import type { ProjectRef } from '../../storage/documents.js'
import type { Ctx, LockstepStore } from '../state/context.js'
import { buildCtx } from '../state/open.js'
import type { GuardVerdict } from './guard-input.js'
import { renewLeases } from '../state/leases.js'
import { mutate } from '../state/project-tx.js'
import type { Settings } from '../state/settings.js'

/**
 * After a decision: a refusal becomes a `guard.refused` event (for the holder and the planner) and a note the dashboard
 * shows; agents found gone past their grace period lose their claims and locks now, in the same transaction step that
 * every server runs (lib/state/leases.ts), so reclaiming does not wait for another agent's server; and an editor whose
 * leases run low has them renewed, since a guarded edit is activity.
 */
export async function recordGuardOutcome(
  store: LockstepStore,
  settings: Settings,
  cwd: string,
  verdict: GuardVerdict,
  gone: ProjectRef[],
  active: { project: ProjectRef; name: string }[],
): Promise<void> {
  const ctx = buildCtx(store, settings, { sessionId: 'guard', cwd, fixedActor: 'system' })
  for (const project of gone) await mutate(ctx, project, ['agents', 'tasks', 'locks', 'notes'], () => undefined, { actor: 'system' })
  for (const { project, name } of active) await mutate(ctx, project, ['tasks', 'locks'], (docs, tx) => renewLeases(docs, name, tx.now, settings.leaseTtlSec * 1000), { actor: 'system' })
  if (!verdict.refused.length) return
  for (const root of new Set(verdict.refused.map((item) => item.projectRoot))) await recordRefusals(ctx, store.project(root), verdict)
}

async function recordRefusals(ctx: Ctx, project: ProjectRef, verdict: GuardVerdict): Promise<void> {
  await mutate(
    ctx,
    project,
    ['agents', 'notes'],
    (docs, tx) => {
      // the holder and the planners learn of the collision (events_wait with mine)
      const planners = docs.agents.agents.filter((agent) => agent.role === 'planner' && agent.status === 'active').map((agent) => agent.name)
      const editor = verdict.editor ?? 'an unregistered editor'
      for (const refusal of verdict.refused.filter((item) => item.projectRoot === project.root)) {
        tx.emit({
          type: 'guard.refused',
          actor: verdict.editor ?? 'unknown',
          ids: { path: refusal.path },
          for: [...new Set([refusal.holder, ...planners])],
          data: { path: refusal.path, holder: refusal.holder, editor: verdict.editor ?? 'unknown', client: verdict.client, lockPath: refusal.lockPath },
        })
        const what = verdict.client === 'git' ? 'a commit of' : `a ${verdict.client} edit of`
        tx.note(`[SYSTEM] Guard refused ${what} ${refusal.path} by ${editor}: ${refusal.holder} holds the lock (${refusal.lockPath}).`)
      }
    },
    { actor: 'system' },
  )
}
