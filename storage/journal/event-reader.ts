import { readLegacyEvents, legacyOldestSeq } from './legacy-events.js'
import type { LogEvent } from './events.js'
import { Journal } from './journal.js'
import type { ProjectState } from './project-state.js'

export interface EventPage {
  events: LogEvent[]
  /** The last seq examined; pass it as `since` next time. */
  cursor: number
  /** `since` is older than the oldest kept event. */
  gap: boolean
}

/**
 * Lock-free reader of a project's events. The newest come from the state's journal tail, kept in memory; an older
 * cursor reads the whole journal (and the older layout's event files) again.
 */
export class EventReader {
  constructor(
    private readonly dir: string,
    private readonly state: () => Promise<ProjectState>,
  ) {}

  /** Lines of the journal (or of the older layout's event files) that do not parse, and were skipped. */
  get skippedLines(): number {
    return this.skipped
  }
  private skipped = 0

  /** The seq of the newest event (0 when there is none). */
  async lastSeq(): Promise<number> {
    const state = await this.current()
    return state.journal.position.eventSeq
  }

  /** Events after `since` that pass `match`, oldest first, at most `limit`. */
  async readSince(since: number, limit: number, match: (event: LogEvent) => boolean = () => true): Promise<EventPage> {
    const state = await this.current()
    const newest = state.journal.position.eventSeq
    const recent = state.recent
    const inMemory = since >= newest || (recent.length > 0 && recent[0].seq <= since + 1)
    const source = inMemory ? recent.filter((event) => event.seq > since) : await this.readBetween(since, newest)
    const oldest = await legacyOldestSeq(this.dir)
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

  private async current(): Promise<ProjectState> {
    const state = await this.state()
    await state.sync()
    this.skipped = state.journal.unreadable
    return state
  }

  /**
   * Events in (`since`, `newest`] from the older layout's files and the whole journal. The file may already hold
   * commits this state has not applied: their events belong to the next page, past the cursor this one returns.
   */
  private async readBetween(since: number, newest: number): Promise<LogEvent[]> {
    const legacy = await readLegacyEvents(this.dir, since)
    const journal = new Journal(this.dir)
    journal.open({ seq: 0, eventSeq: 0, offset: 0 })
    const events = [...legacy.events]
    try {
      journal.catchUp((line) => {
        for (const event of line.events ?? []) if (event.seq > since && event.seq <= newest) events.push(event)
      })
    } finally {
      journal.close()
    }
    this.skipped = Math.max(this.skipped, journal.unreadable + legacy.skipped)
    return events
  }
}
