import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { EVENTS_FILE, listSegments, parseLines, type LogEvent } from './events.js'

const RING_SIZE = 5000

export interface EventPage {
  events: LogEvent[]
  /** The last seq examined; pass it as `since` next time. */
  cursor: number
  /** `since` is older than the oldest kept event. */
  gap: boolean
}

/**
 * Lock-free reader of a project's event log. It scans forward from a cached byte offset, keeps the newest events
 * in memory, ignores a torn last line, and falls back to reading the rotated segments for old cursors.
 */
export class EventReader {
  private ino = -1
  private offset = 0
  private ring: LogEvent[] = []
  skippedLines = 0

  constructor(private readonly dir: string) {}

  /** The seq of the newest event in the log (0 when empty). */
  async lastSeq(): Promise<number> {
    await this.refresh()
    if (this.ring.length) return this.ring[this.ring.length - 1].seq
    const segments = await listSegments(this.dir)
    return segments.length ? segments[segments.length - 1].last : 0
  }

  /** Events after `since` that pass `match`, oldest first, at most `limit`. */
  async readSince(since: number, limit: number, match: (event: LogEvent) => boolean = () => true): Promise<EventPage> {
    await this.refresh()
    const newest = this.ring.length ? this.ring[this.ring.length - 1].seq : await this.lastSeq()
    const inRing = this.ring.length > 0 && this.ring[0].seq <= since + 1
    const source = inRing || since >= newest ? this.ring.filter((event) => event.seq > since) : await this.readAllAfter(since)
    const oldest = await this.oldestKeptSeq()
    const events: LogEvent[] = []
    let cursor = Math.max(since, newest)
    for (const event of source) {
      if (!match(event)) continue
      events.push(event)
      if (events.length >= limit) {
        cursor = event.seq
        break
      }
    }
    return { events, cursor, gap: oldest !== null && since < oldest - 1 }
  }

  private async refresh(): Promise<void> {
    const file = join(this.dir, EVENTS_FILE)
    let stat
    try {
      stat = await fsp.stat(file)
    } catch {
      this.ino = -1
      this.offset = 0
      this.ring = []
      return
    }
    if (stat.ino !== this.ino || stat.size < this.offset) {
      this.ino = stat.ino
      this.offset = 0
      this.ring = []
    }
    if (stat.size === this.offset) return
    const handle = await fsp.open(file, 'r')
    try {
      const buffer = Buffer.alloc(stat.size - this.offset)
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset)
      const { events, consumed, skipped } = parseLines(buffer.subarray(0, bytesRead))
      this.offset += consumed
      this.skippedLines += skipped
      this.ring.push(...events)
      if (this.ring.length > RING_SIZE) this.ring.splice(0, this.ring.length - RING_SIZE)
    } finally {
      await handle.close()
    }
  }

  private async readAllAfter(since: number): Promise<LogEvent[]> {
    const files = [...(await listSegments(this.dir)).filter((segment) => segment.last > since).map((segment) => segment.name), EVENTS_FILE]
    const out: LogEvent[] = []
    for (const name of files) {
      const buffer = await fsp.readFile(join(this.dir, name)).catch(() => null)
      if (buffer) out.push(...parseLines(buffer).events.filter((event) => event.seq > since))
    }
    return out
  }

  private async oldestKeptSeq(): Promise<number | null> {
    // without rotated segments the current file still starts at seq 1
    const segments = await listSegments(this.dir)
    return segments.length ? segments[0].first : null
  }
}
