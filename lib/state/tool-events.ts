import type { ProjectRef } from '../../storage/documents.js'
import type { EventInput } from '../../storage/journal/events.js'
import type { Ctx } from './context.js'
import { isLockstepError } from '../errors.js'
import { actorOf, mutate, trimmed } from './project-tx.js'

// the policy refusals; INVALID_INPUT and NOT_FOUND are ordinary mistakes and are not logged
const REFUSALS = new Set(['FORBIDDEN', 'LOCKED'])

/**
 * Run `action`; when it is refused (FORBIDDEN, LOCKED), append a `type` event naming the reason before rethrowing.
 * The action must refuse before it touches anything, so the event log is the only trace a refusal leaves.
 */
export async function recordRefusals<T>(ctx: Ctx, project: ProjectRef, type: string, data: Record<string, string>, action: () => Promise<T>): Promise<T> {
  try {
    return await action()
  } catch (error) {
    if (isLockstepError(error) && REFUSALS.has(error.code)) {
      const shown = Object.fromEntries(Object.entries(data).map(([key, value]) => [key, trimmed(value)]))
      const holder = typeof error.data.holder === 'string' ? { holder: error.data.holder } : {}
      await emitEvent(ctx, project, { type, actor: actorOf(ctx), ids: {}, data: { code: error.code, ...shown, ...holder } })
    }
    throw error
  }
}

/**
 * Append one event in a transaction over no documents. A store that stays busy does not turn an action that already
 * happened (or a refusal) into another error: the caller's outcome is what the agent must see.
 */
export async function emitEvent(ctx: Ctx, project: ProjectRef, event: EventInput): Promise<void> {
  try {
    await mutate(ctx, project, [], (_docs, tx) => tx.emit(event), { actor: event.actor })
  } catch (error) {
    if (!isLockstepError(error)) throw error
  }
}
