import { promises as fsp } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { ProjectRef } from '../../storage/documents.js'
import { EVENTS_FILE, parseLines } from '../../storage/events.js'
import { LockstepError, isLockstepError } from '../errors.js'
import { shellJoin } from '../_quote.js'

export interface TimelineEntry {
  seq: number
  ts: string
  actor: string
  type: string
  data?: unknown
}

const MAX_ENTRIES = 200

/** The events of one task from the current event log, oldest first (at most 200; rotated segments are not read). */
export async function taskTimeline(ref: ProjectRef, taskId: string): Promise<TimelineEntry[]> {
  let buffer: Buffer
  try {
    buffer = await fsp.readFile(join(ref.dir, EVENTS_FILE))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  return parseLines(buffer)
    .events.filter((event) => event.ids?.taskId === taskId)
    .slice(-MAX_ENTRIES)
    .map((event) => ({ seq: event.seq, ts: event.ts, actor: event.actor, type: event.type, ...(event.data === undefined ? {} : { data: event.data }) }))
}

/**
 * A CORRUPT_STATE error with the command that repairs it added to its data: copy back the newest restore point of
 * that document, or, when there is none, move the file aside so that its collection starts empty. Other errors pass.
 */
export async function withRepair(error: unknown): Promise<unknown> {
  if (!isLockstepError(error) || error.code !== 'CORRUPT_STATE' || typeof error.data.file !== 'string') return error
  const file = error.data.file
  const doc = basename(file, '.json')
  const backups = join(dirname(file), 'backups')
  const points = (await fsp.readdir(backups).catch(() => [] as string[])).filter((name) => new RegExp(`^${doc}\\.\\d{4}-\\d{2}-\\d{2}\\.json$`).test(name)).sort()
  const newest = points.at(-1)
  const repair = newest ? shellJoin(['cp', join(backups, newest), file]) : shellJoin(['mv', file, `${file}.broken`])
  return new LockstepError(error.code, error.message, { ...error.data, repair, restorePoint: newest ? join(backups, newest) : null })
}
