import { promises as fsp } from 'node:fs'

export interface EventInput {
  type: string
  actor: string
  ids?: Record<string, string>
  for?: string[]
  data?: Record<string, unknown>
}

export interface LogEvent extends EventInput {
  seq: number
  ts: string
}

export const EVENTS_FILE = 'events.jsonl'
const SEGMENT_PATTERN = /^events-(\d+)-(\d+)\.jsonl$/
const NEWLINE = 0x0a

export interface Segment {
  name: string
  first: number
  last: number
}

export async function listSegments(dir: string): Promise<Segment[]> {
  let names: string[]
  try {
    names = await fsp.readdir(dir)
  } catch {
    return []
  }
  return names
    .map((name) => SEGMENT_PATTERN.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ name: match[0], first: Number(match[1]), last: Number(match[2]) }))
    .sort((a, b) => a.first - b.first)
}

/** Parse the complete lines of a chunk; a line that does not parse is skipped and counted. */
export function parseLines(buffer: Buffer): { events: LogEvent[]; consumed: number; skipped: number } {
  const events: LogEvent[] = []
  let skipped = 0
  let start = 0
  for (let end = buffer.indexOf(NEWLINE); end >= 0; start = end + 1, end = buffer.indexOf(NEWLINE, start)) {
    if (end === start) continue
    try {
      const event = JSON.parse(buffer.subarray(start, end).toString('utf8')) as LogEvent
      if (Number.isInteger(event?.seq) && typeof event.type === 'string') events.push(event)
      else skipped++
    } catch {
      skipped++
    }
  }
  return { events, consumed: start, skipped }
}
