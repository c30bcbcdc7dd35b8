import type { ProjectRef } from '../../storage/documents.js'
import type { EventInput } from '../../storage/journal/events.js'
import type { Tx } from '../../storage/store.js'
import type { Ctx } from './context.js'
import { newId } from '../core/ids.js'
import type { Docs, DomainTx } from './domain-tx.js'
import { applyExpiries } from './leases.js'
import type { DocName, Note, Notice } from './schema.js'
import { sameName } from '../core/names.js'

const NOTES_KEPT = 2000
/** Notes past the newest 2,000, oldest first, one JSON line each. */
export const NOTES_ARCHIVE = 'notes-archive.jsonl'
const NOTES_ARCHIVED_AT_ONCE = 1000

/** Run a mutation with due expiries (expired leases, agents gone past the grace) applied first; a LockstepError thrown inside writes nothing. */
export async function mutate<K extends DocName, T>(ctx: Ctx, project: ProjectRef, names: K[], fn: (docs: Pick<Docs, K>, tx: DomainTx<K>) => T, options: { actor?: string } = {}): Promise<T> {
  return (await mutateCommit(ctx, project, names, fn, options)).result
}

/** As mutate, also returning the committed events (with their seq). */
export function mutateCommit<K extends DocName, T>(ctx: Ctx, project: ProjectRef, names: K[], fn: (docs: Pick<Docs, K>, tx: DomainTx<K>) => T, options: { actor?: string } = {}) {
  return ctx.store.transactCommit(project, names, (docs, base) => {
    const tx = domainTx(ctx, base, docs as Partial<Docs>, options.actor ?? actorOf(ctx))
    applyExpiries(docs as Partial<Docs>, tx as DomainTx<DocName>)
    const result = fn(docs, tx)
    pruneHistory(docs as Partial<Docs>, project.dir, base.now)
    return result
  })
}

const WEEK_MS = 7 * 24 * 3600 * 1000
/** How long resolved locks and ended sessions are kept, and how many resolved locks at most. */
export const HISTORY_MS = WEEK_MS
export const RESOLVED_LOCKS_KEPT = 500
const RESOLVED_LOCKS_SLACK = 100

/**
 * Move locks resolved by this commit to the history, and keep there those of the last 7 days (at most 500); keep
 * sessions that ended within 7 days. Runs on every commit: the history is trimmed in batches, and checked for age every
 * few minutes, so that this costs a look at the active locks only.
 */
function pruneHistory(docs: Partial<Docs>, dir: string, now: Date): void {
  const cutoff = new Date(now.getTime() - WEEK_MS).toISOString()
  if (docs.locks) {
    const resolved = docs.locks.locks.filter((lock) => lock.status === 'resolved')
    if (resolved.length) {
      docs.locks.history.push(...resolved)
      docs.locks.locks = docs.locks.locks.filter((lock) => lock.status !== 'resolved')
    }
    const history = docs.locks.history
    if (history.length > RESOLVED_LOCKS_KEPT + RESOLVED_LOCKS_SLACK || (ageCheckDue(dir, now) && history.some((lock) => releasedAt(lock) < cutoff))) {
      const recent = history.filter((lock) => releasedAt(lock) >= cutoff)
      const keep = new Set(recent.sort((a, b) => compare(releasedAt(b), releasedAt(a))).slice(0, RESOLVED_LOCKS_KEPT))
      docs.locks.history = history.filter((lock) => keep.has(lock))
    }
  }
  if (docs.agents) {
    const bound = new Set(docs.agents.agents.map((agent) => agent.sessionId))
    const stale = (session: Docs['agents']['sessions'][number]) => {
      const ended = session.endedAt ?? session.goneAt
      return ended !== undefined && ended < cutoff && !bound.has(session.id)
    }
    if (docs.agents.sessions.some(stale)) docs.agents.sessions = docs.agents.sessions.filter((session) => !stale(session))
  }
}

const AGE_CHECK_MS = 10 * 60 * 1000
const nextAgeCheck = new Map<string, number>()

function ageCheckDue(dir: string, now: Date): boolean {
  if (now.getTime() < (nextAgeCheck.get(dir) ?? 0)) return false
  nextAgeCheck.set(dir, now.getTime() + AGE_CHECK_MS)
  return true
}

const releasedAt = (lock: Docs['locks']['history'][number]) => lock.releasedAt ?? lock.updatedAt
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

export function actorOf(ctx: Ctx, given?: string): string {
  return ctx.caller.fixedActor ?? ctx.caller.binding?.name ?? given ?? 'anonymous'
}

function domainTx<K extends DocName>(ctx: Ctx, base: Tx<K>, docs: Partial<Docs>, actor: string): DomainTx<K> {
  return new StoreDomainTx(base, docs, actor, ctx)
}

// a class, not Object.create(base): an object made the prototype of another gets a map of its own, one per commit
class StoreDomainTx<K extends DocName> implements DomainTx<K> {
  constructor(
    private readonly base: Tx<K>,
    private readonly docs: Partial<Docs>,
    readonly actor: string,
    readonly ctx: Ctx,
  ) {}

  get project(): ProjectRef {
    return this.base.project
  }

  get now(): Date {
    return this.base.now
  }

  get created(): boolean {
    return this.base.created
  }

  get declared(): readonly K[] {
    return this.base.declared
  }

  require(...names: string[]): void {
    this.base.require(...names)
  }

  appendFile(name: string, text: string): void {
    this.base.appendFile(name, text)
  }

  beforeWrite(action: (projectDir: string) => Promise<void>): void {
    this.base.beforeWrite(action)
  }

  backup(label: string): string {
    return this.base.backup(label)
  }

  emit(event: EventInput): void {
    // `for` is optional: an event that concerns nobody in particular leaves it out
    const { for: names, ...rest } = event
    this.base.emit(names?.length ? event : rest)
  }

  note(text: string, author = 'system'): Note {
    const base = this.base
    base.require('notes')
    const notes = this.docs.notes!
    const note: Note = { id: newId('note'), seq: notes.nextSeq++, text, author, createdAt: base.now.toISOString() }
    notes.notes.push(note)
    if (notes.notes.length > NOTES_KEPT) {
      const archived = notes.notes.splice(0, NOTES_ARCHIVED_AT_ONCE)
      base.appendFile(NOTES_ARCHIVE, archived.map((item) => JSON.stringify(item)).join('\n') + '\n')
    }
    base.emit({ type: 'note.appended', actor: author, ids: { noteId: note.id }, data: { author } })
    return note
  }

  notify(name: string, notice: Omit<Notice, 'at'>): void {
    this.base.require('agents')
    const agent = this.docs.agents!.agents.find((item) => sameName(item.name, name))
    agent?.pendingNotices.push({ ...notice, at: this.base.now.toISOString() })
  }
}

export function iso(date: Date, plusMs = 0): string {
  return new Date(date.getTime() + plusMs).toISOString()
}

/** Trim quoted text for event data. */
export function trimmed(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
