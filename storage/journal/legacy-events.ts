import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { EVENTS_FILE, listSegments, parseLines, type LogEvent } from './events.js'

// Events written by the older layout (events.jsonl and its rotated segments), before the journal carried them. They
// stay readable as history; new events go on from the last of their seqs.

/** Every legacy event after `since`, oldest first, and the lines that did not parse. */
export async function readLegacyEvents(dir: string, since: number): Promise<{ events: LogEvent[]; skipped: number }> {
  const files = [...(await listSegments(dir)).filter((segment) => segment.last > since).map((segment) => segment.name), EVENTS_FILE]
  const events: LogEvent[] = []
  let skipped = 0
  for (const name of files) {
    const buffer = await fsp.readFile(join(dir, name)).catch(() => null)
    if (!buffer) continue
    const parsed = parseLines(buffer)
    skipped += parsed.skipped
    events.push(...parsed.events.filter((event) => event.seq > since))
  }
  return { events, skipped }
}

/** The seq of the last legacy event (0 when there are none). */
export async function legacyLastEventSeq(dir: string): Promise<number> {
  const { events } = await readLegacyEvents(dir, 0)
  const segments = await listSegments(dir)
  return Math.max(0, ...events.map((event) => event.seq), ...segments.map((segment) => segment.last))
}

/** The first seq still kept, when older segments were deleted; null when the history is whole. */
export async function legacyOldestSeq(dir: string): Promise<number | null> {
  const segments = await listSegments(dir)
  return segments.length && segments[0].first > 1 ? segments[0].first : null
}
