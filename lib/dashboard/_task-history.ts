import { dirname } from 'node:path'
import type { ProjectRef } from '../../storage/documents.js'
import type { Ctx } from '../state/context.js'
import { LockstepError, isLockstepError } from '../errors.js'
import { shellJoin } from '../core/quote.js'
import { cliScriptPath } from '../core/cli-path.js'

export interface TimelineEntry {
  seq: number
  ts: string
  actor: string
  type: string
  data?: unknown
}

const MAX_ENTRIES = 200

/** The events of one task, oldest first (the newest 200), read lock-free from the project's journal. */
export async function taskTimeline(ctx: Ctx, ref: ProjectRef, taskId: string): Promise<TimelineEntry[]> {
  const page = await ctx.store.eventReader(ref).readSince(0, Number.MAX_SAFE_INTEGER, (event) => event.ids?.taskId === taskId)
  return page.events.slice(-MAX_ENTRIES).map((event) => ({ seq: event.seq, ts: event.ts, actor: event.actor, type: event.type, ...(event.data === undefined ? {} : { data: event.data }) }))
}

/** A CORRUPT_STATE error with the command that repairs it added to its data (doctor keeps a copy of what it replaces). */
export function withRepair(error: unknown, ref: ProjectRef): unknown {
  if (!isLockstepError(error) || error.code !== 'CORRUPT_STATE' || typeof error.data.file !== 'string') return error
  // this very program, by its path: `lockstep-mcp` may not be on the PATH of whoever reads the banner
  const repair = shellJoin([process.execPath, cliScriptPath(), 'doctor', '--repair', '--yes', '--dir', ref.root, '--data-dir', dirname(dirname(ref.dir))])
  return new LockstepError(error.code, error.message, { ...error.data, repair, restorePoint: error.data.restorePoint ?? null })
}
