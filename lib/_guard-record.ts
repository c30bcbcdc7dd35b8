import { createHash } from 'node:crypto'
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ProjectRef } from '../storage/documents.js'
import { Store } from '../storage/store.js'
import { defaultIsAlive, newCaller, type Ctx } from './context.js'
import type { GuardVerdict } from './guard.js'
import { mutate } from './project-tx.js'
import { DOCUMENTS } from './schema.js'
import type { Settings } from './settings.js'

/**
 * After a decision: a refusal becomes a `guard.refused` event (for the holder and the planner) and a note the dashboard
 * shows; agents found gone past their grace period lose their claims and locks now, in the same transaction step that
 * every server runs (lib/leases.ts), so reclaiming does not wait for another agent's server.
 */
export async function recordGuardOutcome(settings: Settings, cwd: string, verdict: GuardVerdict, gone: { project: ProjectRef }[]): Promise<void> {
  const store = new Store({ dataDir: settings.dataDir, documents: DOCUMENTS })
  const ctx: Ctx = { store, settings, now: () => new Date(), isAlive: defaultIsAlive, caller: newCaller({ sessionId: 'guard', cwd, fixedActor: 'system' }) }
  try {
    const projects = new Map(gone.map((item) => [item.project.id, item.project]))
    for (const project of projects.values()) await mutate(ctx, project, ['agents', 'tasks', 'locks', 'notes'], () => undefined, { actor: 'system' })
    if (!verdict.refused.length) return
    for (const root of new Set(verdict.refused.map((item) => item.projectRoot))) await recordRefusals(ctx, store.project(root), verdict)
  } finally {
    store.close()
  }
}

async function recordRefusals(ctx: Ctx, project: ProjectRef, verdict: GuardVerdict): Promise<void> {
  await mutate(ctx, project, ['notes'], (_docs, tx) => {
    const editor = verdict.editor ?? 'an unregistered editor'
    for (const refusal of verdict.refused.filter((item) => item.projectRoot === project.root)) {
      tx.emit({
        type: 'guard.refused',
        actor: verdict.editor ?? 'unknown',
        ids: { path: refusal.path },
        for: [refusal.holder],
        data: { path: refusal.path, holder: refusal.holder, editor: verdict.editor ?? 'unknown', client: verdict.client, lockPath: refusal.lockPath },
      })
      const what = verdict.client === 'git' ? 'a commit of' : `a ${verdict.client} edit of`
      tx.note(`[SYSTEM] Guard refused ${what} ${refusal.path} by ${editor}: ${refusal.holder} holds the lock (${refusal.lockPath}).`)
    }
  }, { actor: 'system' })
}

/** True the first time this reason is given for this folder on this machine (a marker file in the temp folder). */
export function firstTime(key: string): boolean {
  const dir = join(tmpdir(), 'lockstep-guard')
  const marker = join(dir, createHash('sha256').update(key).digest('hex').slice(0, 16))
  try {
    mkdirSync(dir, { recursive: true })
    closeSync(openSync(marker, 'wx'))
    return true
  } catch {
    return false
  }
}
