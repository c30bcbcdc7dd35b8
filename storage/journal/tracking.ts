// Change tracking for the in-memory state. A transaction mutates document bodies in place; the commit needs only what
// changed (one journal line), and a transaction that fails must leave the state exactly as it was.
//
// - Records of a collection, and everything nested in them, are proxies whose set/delete traps log the old value for
//   undo and mark the record dirty. There is no get trap, so reads and scans stay cheap.
// - Collection arrays stay plain: a push, splice or reassignment is found at commit by comparing the array with a
//   shadow of its element references taken at the last commit (documents.ts).
// - Other keys of a body (scalars, small objects) are tracked by the body's own proxy and written whole.

interface Owner {
  doc: string
  /** The body key this object hangs under. */
  key: string
  /** The record proxy it belongs to, for objects inside a collection. */
  record?: object
}

interface UndoEntry {
  target: Record<PropertyKey, unknown>
  key: PropertyKey
  had: boolean
  old: unknown
}

/** What one transaction touched. */
export class Changes {
  readonly undo: UndoEntry[] = []
  /** doc → body keys set whole. */
  readonly keys = new Map<string, Set<string>>()
  /** `doc\0key` → record proxies changed in place. */
  readonly records = new Map<string, Set<object>>()

  mark(owner: Owner): void {
    if (owner.record) return void addTo(this.records, `${owner.doc}\0${owner.key}`, owner.record)
    addTo(this.keys, owner.doc, owner.key)
  }
}

function addTo<T>(map: Map<string, Set<T>>, key: string, value: T): void {
  let set = map.get(key)
  if (!set) map.set(key, (set = new Set()))
  set.add(value)
}

// Each tracked object carries its proxy under a symbol (not enumerable: JSON, spreads and Object.keys never see it), and
// each proxy its owner in its own handler. Weak maps did the same, and their upkeep was a good part of a catch-up's GC.
const PROXY = Symbol('tracked')
// body targets → the keys that hold collections
const collectionKeys = new WeakMap<object, ReadonlySet<string>>()
let active: Changes | null = null

/** Run `fn` with every trap reporting to `changes`. */
export function tracking<T>(changes: Changes, fn: () => T): T {
  const previous = active
  active = changes
  try {
    return fn()
  } finally {
    active = previous
  }
}

/** Put every logged change back, newest first. */
export function rollback(changes: Changes): void {
  for (let i = changes.undo.length - 1; i >= 0; i--) {
    const { target, key, had, old } = changes.undo[i]
    if (had) target[key] = old
    else delete target[key]
  }
  changes.undo.length = 0
}

function log(target: Record<PropertyKey, unknown>, key: PropertyKey): void {
  // setting an index past the end grows an array without a set of `length`: remember the length first
  if (active && Array.isArray(target) && key !== 'length') active.undo.push({ target, key: 'length', had: true, old: target.length })
  active?.undo.push({ target, key, had: Object.prototype.hasOwnProperty.call(target, key), old: target[key] })
}

interface TrackingHandler extends ProxyHandler<Record<PropertyKey, unknown>> {
  owner: Owner
}

const traps: ProxyHandler<Record<PropertyKey, unknown>> & ThisType<TrackingHandler> = {
  set(target, key, value) {
    if (Object.prototype.hasOwnProperty.call(target, key) && target[key] === value) return true
    const owner = ownerFor(this.owner, target, key)
    log(target, key)
    // a reassigned collection is found by its shadow at commit, and its new records are tracked then
    if (owner === null) target[key] = value
    else {
      active?.mark(owner)
      target[key] = wrap(value, owner)
    }
    return true
  },
  deleteProperty(target, key) {
    if (!Object.prototype.hasOwnProperty.call(target, key)) return true
    const owner = ownerFor(this.owner, target, key)
    log(target, key)
    if (owner) active?.mark(owner)
    delete target[key]
    return true
  },
  defineProperty(target, key, descriptor) {
    const owner = ownerFor(this.owner, target, key)
    log(target, key)
    if (owner) active?.mark(owner)
    return Reflect.defineProperty(target, key, descriptor)
  },
}

/** Who a change of `key` in `target` concerns; null for a collection key of a body. */
function ownerFor(owner: Owner, target: object, key: PropertyKey): Owner | null {
  if (owner.key !== '') return owner
  const name = String(key)
  return collectionKeys.get(target)?.has(name) ? null : { doc: owner.doc, key: name }
}

/** The proxy of a tracked object, given the object or its proxy; undefined for one not tracked. */
function proxyOf(value: object): object | undefined {
  return (value as { [PROXY]?: object })[PROXY]
}

function proxy(target: object, owner: Owner): object {
  const handler: TrackingHandler = Object.assign(Object.create(traps) as TrackingHandler, { owner })
  const made = new Proxy(target as Record<PropertyKey, unknown>, handler)
  Object.defineProperty(target, PROXY, { value: made })
  return made
}

/** `value` tracked (deeply) for `owner`; primitives come back as they are. */
function wrap<T>(value: T, owner: Owner): T {
  if (typeof value !== 'object' || value === null) return value
  const known = proxyOf(value)
  if (known) return known as T
  const target = value as Record<string, unknown>
  for (const key of Object.keys(target)) target[key] = wrap(target[key], owner)
  return proxy(target, owner) as T
}

/** A record of collection `key` of `doc`, tracked: a change anywhere inside marks the whole record. */
export function trackRecord<T>(doc: string, key: string, value: T): T {
  if (typeof value !== 'object' || value === null) return value
  // already tracked (a record moved between collections keeps its owner, as it always did)
  const known = proxyOf(value)
  if (known) return known as T
  const target = value as Record<string, unknown>
  const owner: Owner = { doc, key }
  const made = proxy(target, owner)
  owner.record = made
  for (const field of Object.keys(target)) target[field] = wrap(target[field], owner)
  return made as T
}

/** A document body, tracked; the arrays under `collections` hold tracked records. */
export function trackBody<B extends object>(doc: string, body: B, collections: readonly string[]): B {
  const target = body as Record<string, unknown>
  const keys = new Set(collections)
  for (const key of Object.keys(target)) {
    const value = target[key]
    if (keys.has(key) && Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = trackRecord(doc, key, value[i])
    } else {
      target[key] = wrap(value, { doc, key })
    }
  }
  collectionKeys.set(target, keys)
  return proxy(target, { doc, key: '' }) as B
}
