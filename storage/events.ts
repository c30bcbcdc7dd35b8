import fs, { promises as fsp } from 'node:fs'
import { join } from 'node:path'

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
export const SEGMENTS_KEPT = 8
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

/**
 * Append events under the events lock (held by the caller): repair a torn last line, continue `seq` from the last
 * complete line, write every event in one O_APPEND write, and rotate past `rotateBytes`.
 */
export async function appendEvents(dir: string, inputs: EventInput[], now: Date, rotateBytes: number): Promise<LogEvent[]> {
  if (inputs.length === 0) return []
  const file = join(dir, EVENTS_FILE)
  // synchronous: a few small syscalls under the events lock, cheaper than thread-pool round trips
  const fd = fs.openSync(file, 'a+', 0o600)
  let events: LogEvent[]
  let endSize: number
  let firstInFile: number | null
  try {
    const size = fs.fstatSync(fd).size
    const tail = scanTail(fd, size)
    if (tail.validEnd < size) fs.ftruncateSync(fd, tail.validEnd)
    const lastSeq = tail.lastSeq ?? (await lastSeqOfSegments(dir))
    const ts = now.toISOString()
    events = inputs.map((input, index) => ({ seq: lastSeq + index + 1, ts, ...input }))
    const bytes = Buffer.from(events.map((event) => JSON.stringify(event)).join('\n') + '\n')
    for (let offset = 0; offset < bytes.length; ) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset)
    endSize = tail.validEnd + bytes.length
    firstInFile = tail.validEnd === 0 ? events[0].seq : null
  } finally {
    fs.closeSync(fd)
  }
  if (endSize > rotateBytes) await rotate(dir, firstInFile, events[events.length - 1].seq, now)
  return events
}

/** Find the end of the last complete line and the `seq` of the last parsable one, reading backwards from the end. */
function scanTail(fd: number, size: number): { validEnd: number; lastSeq: number | null } {
  let validEnd: number | null = null
  for (let chunkSize = 4096; ; chunkSize *= 4) {
    const start = Math.max(0, size - chunkSize)
    const buffer = Buffer.alloc(size - start)
    fs.readSync(fd, buffer, 0, buffer.length, start)
    let end = buffer.lastIndexOf(NEWLINE)
    if (validEnd === null && (end >= 0 || start === 0)) validEnd = end >= 0 ? start + end + 1 : 0
    while (end >= 0) {
      // a negative offset would count from the end of the buffer and scan the same lines forever
      const from = end > 0 ? buffer.lastIndexOf(NEWLINE, end - 1) : -1
      if (from < 0 && start > 0) break
      const seq = seqOf(buffer.subarray(from + 1, end))
      if (seq !== null) return { validEnd: validEnd ?? 0, lastSeq: seq }
      end = from
    }
    if (start === 0) return { validEnd: validEnd ?? 0, lastSeq: null }
  }
}

function seqOf(line: Buffer): number | null {
  try {
    const seq = (JSON.parse(line.toString('utf8')) as { seq?: unknown }).seq
    return Number.isInteger(seq) ? (seq as number) : null
  } catch {
    return null
  }
}

async function lastSeqOfSegments(dir: string): Promise<number> {
  const segments = await listSegments(dir)
  return segments.length ? Math.max(...segments.map((segment) => segment.last)) : 0
}

async function rotate(dir: string, firstInFile: number | null, lastSeq: number, now: Date): Promise<void> {
  const file = join(dir, EVENTS_FILE)
  const first = firstInFile ?? (await firstSeqOf(file)) ?? lastSeq
  const previous = `events-${first}-${lastSeq}.jsonl`
  await fsp.rename(file, join(dir, previous))
  const rotated: LogEvent = { seq: lastSeq + 1, ts: now.toISOString(), actor: 'system', type: 'log.rotated', ids: {}, data: { previous } }
  await fsp.writeFile(file, `${JSON.stringify(rotated)}\n`, { mode: 0o600 })
  const segments = await listSegments(dir)
  for (const segment of segments.slice(0, Math.max(0, segments.length - SEGMENTS_KEPT))) {
    await fsp.rm(join(dir, segment.name), { force: true })
  }
}

async function firstSeqOf(file: string): Promise<number | null> {
  const handle = await fsp.open(file, 'r')
  try {
    const buffer = Buffer.alloc(65536)
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
    const end = buffer.subarray(0, bytesRead).indexOf(NEWLINE)
    return end < 0 ? null : seqOf(buffer.subarray(0, end))
  } finally {
    await handle.close()
  }
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
