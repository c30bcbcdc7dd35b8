import { trackBody, trackRecord, type Changes } from './tracking.js'

/** One change of a journal line: a body key set whole, records put (inserted or replaced by id), or records deleted. */
export type Op =
  [doc: string, action: 'set', key: string, value: unknown] | [doc: string, action: 'put', key: string, record: Record<string, unknown>] | [doc: string, action: 'del', key: string, ids: string[]]

interface Collection {
  /** The field that identifies a record. */
  idField: string
  /** The array and its element references as of the last commit. */
  array: unknown[]
  items: unknown[]
  byId: Map<string, object>
}

const STALE_IDS_MAX = 256

/** A document body held in memory, tracked, with what is needed to turn a transaction's changes into ops. */
export class TrackedDocument<B extends object = object> {
  readonly body: B
  private readonly collections = new Map<string, Collection>()
  // readers get copies, replaced (never changed) when a commit changes them: a reader may hold one across an await
  private viewBody: Record<string, unknown> | null = null
  private readonly viewRecords = new Map<string, Map<string, unknown>>()
  private readonly staleIds = new Map<string, Set<string> | 'all'>()
  private readonly staleKeys = new Set<string>()

  constructor(
    readonly name: string,
    body: B,
    collections: Record<string, string>,
  ) {
    this.body = trackBody(name, body, Object.keys(collections))
    for (const [key, idField] of Object.entries(collections)) this.collections.set(key, this.fresh(key, idField))
  }

  /** The committed state as plain copies; the same object until a commit changes the document. */
  view(): B {
    const body = this.body as Record<string, unknown>
    if (this.viewBody && !this.staleKeys.size && !this.staleIds.size) return this.viewBody as B
    const next: Record<string, unknown> = { ...(this.viewBody ?? {}) }
    for (const key of Object.keys(body)) {
      const coll = this.collections.get(key)
      if (!coll) {
        if (!this.viewBody || this.staleKeys.has(key) || !(key in this.viewBody)) next[key] = copy(body[key])
        continue
      }
      const stale = this.viewBody ? this.staleIds.get(key) : 'all'
      if (!stale && key in next) continue
      let records = this.viewRecords.get(key)
      if (!records || stale === 'all') this.viewRecords.set(key, (records = new Map()))
      const fresh = new Map<string, unknown>()
      next[key] = (body[key] as unknown[]).map((item) => {
        const id = idOf(coll, item)
        let made = stale !== 'all' && !stale?.has(id) ? records!.get(id) : undefined
        if (made === undefined) made = copy(item)
        fresh.set(id, made)
        return made
      })
      this.viewRecords.set(key, fresh)
    }
    for (const key of Object.keys(next)) if (!(key in body)) delete next[key]
    this.staleKeys.clear()
    this.staleIds.clear()
    this.viewBody = next
    return next as B
  }

  /** Mark what `ops` changed, for the next view. */
  invalidate(ops: Op[]): void {
    // with no view made yet, the next one is made whole
    if (!this.viewBody) return
    for (const [, action, key, value] of ops) {
      if (action === 'set' || !this.collections.has(key)) {
        this.staleKeys.add(key)
        if (this.collections.has(key)) this.staleIds.set(key, 'all')
        continue
      }
      let ids = this.staleIds.get(key)
      if (ids === 'all') continue
      if (!ids) this.staleIds.set(key, (ids = new Set()))
      if (action === 'put') ids.add(String((value as Record<string, unknown>)[this.collections.get(key)!.idField]))
      else for (const id of value as string[]) ids.add(id)
      // past this many, the next view copies the collection whole: cheaper than counting every change of a busy one
      if (ids.size > STALE_IDS_MAX) this.staleIds.set(key, 'all')
    }
  }

  /** The ops that turn the last committed state into the current one. */
  diff(changes: Changes): Op[] {
    const ops: Op[] = []
    const body = this.body as Record<string, unknown>
    for (const key of changes.keys.get(this.name) ?? []) ops.push([this.name, 'set', key, body[key]])
    for (const [key, coll] of this.collections) {
      const array = body[key] as unknown[]
      const dirty = changes.records.get(`${this.name}\0${key}`)
      const structure = compare(coll, array)
      if (structure === 'reordered') {
        ops.push([this.name, 'set', key, array])
        continue
      }
      const added = structure === 'same' ? [] : structure.added
      if (structure !== 'same' && structure.removed.length) ops.push([this.name, 'del', key, structure.removed.map((item) => idOf(coll, item))])
      const addedSet = new Set(added)
      for (const record of dirty ?? [])
        if (!addedSet.has(record) && (structure === 'same' || !structure.kept || structure.kept.has(record))) ops.push([this.name, 'put', key, record as Record<string, unknown>])
      for (const record of added) ops.push([this.name, 'put', key, record as Record<string, unknown>])
    }
    return ops
  }

  /** After a commit: track the records that arrived and take new shadows. */
  settle(): void {
    const body = this.body as Record<string, unknown>
    for (const [key, coll] of this.collections) {
      const array = body[key] as unknown[]
      if (coll.array === array && coll.items.length === array.length && sameItems(coll.items, array, 0)) continue
      const appended = coll.array === array && array.length > coll.items.length && sameItems(coll.items, array, 0)
      if (appended) {
        for (let i = coll.items.length; i < array.length; i++) this.add(key, coll, array, i)
      } else {
        for (let i = 0; i < array.length; i++) array[i] = trackRecord(this.name, key, array[i])
        this.collections.set(key, this.fresh(key, coll.idField))
      }
    }
  }

  /** After a rollback: collections back to their shadows (key assignments were undone by the change log). */
  restore(): void {
    const body = this.body as Record<string, unknown>
    for (const [key, coll] of this.collections) {
      if (body[key] !== coll.array) body[key] = coll.array
      const array = coll.array
      if (array.length !== coll.items.length || !sameItems(coll.items, array, 0)) {
        array.length = 0
        for (const item of coll.items) array.push(item)
      }
    }
  }

  /** Apply ops of a committed line (from this process or another); runs outside any transaction. */
  apply(op: Op): void {
    if (this.viewBody) this.invalidate([op])
    const body = this.body as Record<string, unknown>
    const [, action, key] = op
    const coll = this.collections.get(key)
    if (action === 'set' || !coll) {
      body[key] = op[3]
      if (coll) this.settle()
      return
    }
    const array = body[key] as unknown[]
    if (action === 'put') {
      const record = op[3]
      const id = String(record[coll.idField])
      const existing = coll.byId.get(id) as Record<string, unknown> | undefined
      if (existing) {
        for (const field of Object.keys(existing)) if (!(field in record)) delete existing[field]
        Object.assign(existing, record)
      } else {
        array.push(record)
        this.add(key, coll, array, array.length - 1)
      }
      return
    }
    const gone = new Set(op[3])
    let kept = 0
    for (const item of array) if (!gone.has(idOf(coll, item))) array[kept++] = item
    array.length = kept
    for (const id of gone) coll.byId.delete(id)
    coll.items = array.slice()
  }

  private add(key: string, coll: Collection, array: unknown[], index: number): void {
    const record = trackRecord(this.name, key, array[index])
    array[index] = record
    coll.items.push(record)
    coll.byId.set(idOf(coll, record), record as object)
  }

  private fresh(key: string, idField: string): Collection {
    const array = (this.body as Record<string, unknown>)[key] as unknown[]
    const byId = new Map<string, object>()
    for (const item of array) byId.set(String((item as Record<string, unknown>)[idField]), item as object)
    return { idField, array, items: array.slice(), byId }
  }
}

function copy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T)
}

function idOf(coll: Collection, item: unknown): string {
  return String((item as Record<string, unknown>)[coll.idField])
}

function sameItems(items: unknown[], array: unknown[], from: number): boolean {
  for (let i = from; i < items.length; i++) if (items[i] !== array[i]) return false
  return true
}

type Structure = 'same' | 'reordered' | { added: unknown[]; removed: unknown[]; kept: Set<unknown> | null }

/** How `array` differs from the collection's shadow: unchanged, records added and removed, or reordered. */
function compare(coll: Collection, array: unknown[]): Structure {
  const items = coll.items
  if (array === coll.array && array.length === items.length && sameItems(items, array, 0)) return 'same'
  if (array.length >= items.length && sameItems(items, array, 0)) {
    return { added: array.slice(items.length), removed: [], kept: null }
  }
  const kept = new Set(array)
  const before = new Set(items)
  const removed = items.filter((item) => !kept.has(item))
  const added = array.filter((item) => !before.has(item))
  // the journal replays removals in place and appends additions: any other order is written whole
  let i = 0
  for (const item of items) {
    if (!kept.has(item)) continue
    if (array[i++] !== item) return 'reordered'
  }
  for (const item of added) if (array[i++] !== item) return 'reordered'
  return { added, removed, kept }
}
