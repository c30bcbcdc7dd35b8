import { promises as fsp } from 'node:fs'
import { dirname, join } from 'node:path'
import { readTextOrNull, writeFileAtomic } from '../../storage/atomic.js'
import { ensureDir, type ProjectRef } from '../../storage/documents.js'
import { acquireFileLock } from '../../storage/locks/file-lock.js'
import type { Store } from '../../storage/store.js'
import { ContextRecord, TASK_STATUSES, TaskRecord, type Discussion, type Documents, type ProjectDoc, type Task } from './schema.js'

export const SNAPSHOT_VERSION = 1
const SNAPSHOT_DELAYS = { debounceMs: 1000, maxMs: 5000 }

const LEASE_FIELDS = new Set(['leaseExpiresAt', 'leaseSessionId'])
const TASK_FIELDS = Object.keys(TaskRecord.entries).filter((key) => !LEASE_FIELDS.has(key))
const CONTEXT_FIELDS = Object.keys(ContextRecord.entries)
const DISCUSSION_FIELDS = ['id', 'topic', 'category', 'priority', 'status', 'createdBy', 'waitingOn', 'decision', 'decisionReasoning', 'decidedBy', 'linkedTaskId', 'createdAt', 'resolvedAt']
const SNAPSHOT_DOCUMENTS = new Set(['project', 'tasks', 'discussions'])
const LOCK_TIMEOUT_MS = 10_000

type SnapshotStore = Pick<Store<Documents>, 'read'>
type CommitSource = Pick<Store<Documents>, 'onCommit'>
export type SnapshotOutcome = 'created' | 'updated' | 'unchanged'

export interface SnapshotInput {
  project: ProjectDoc
  tasks: readonly Task[]
  discussions: readonly Discussion[]
}

/** `<root>/.lockstep/state.json`: always under the main working tree, never a linked worktree. */
export function snapshotPath(root: string): string {
  return join(root, '.lockstep', 'state.json')
}

/** The bytes of `.lockstep/state.json` for this state (what `check` reads, docs/cli.md#check): the same state gives the same bytes anywhere. */
export function renderSnapshot(input: SnapshotInput): string {
  const tasks = [...input.tasks].sort(byCreation).map((task) => pick(task, TASK_FIELDS))
  const discussions = input.discussions
    .filter((item) => item.status === 'open' || item.status === 'waiting' || (item.decision ?? '') !== '')
    .sort(byCreation)
    .map((item) => pick(item, DISCUSSION_FIELDS))
  const summary: Record<string, number> = { total: input.tasks.length }
  for (const status of TASK_STATUSES) summary[status] = input.tasks.filter((task) => task.status === status).length
  const { context, name, status } = input.project
  const snapshot = {
    discussions,
    project: { context: context ? pick(context, CONTEXT_FIELDS) : null, name, status },
    schemaVersion: SNAPSHOT_VERSION,
    summary,
    tasks,
  }
  return `${serialize(snapshot, '')}\n`
}

/** Render the project's snapshot from documents read without locks. Throws CORRUPT_STATE or CONFLICT from the store. */
export async function renderProjectSnapshot(store: SnapshotStore, project: ProjectRef): Promise<string> {
  const [doc, tasks, discussions] = await Promise.all([store.read(project, 'project'), store.read(project, 'tasks'), store.read(project, 'discussions')])
  return renderSnapshot({ project: doc, tasks: tasks.tasks, discussions: discussions.discussions })
}

/** Render from the store and write the snapshot now, creating `.lockstep/state.json` if needed (for `init`). Throws CORRUPT_STATE, CONFLICT, BUSY or a file-system error. */
export async function writeSnapshotNow(store: SnapshotStore, project: ProjectRef): Promise<SnapshotOutcome> {
  return (await writeSnapshot(store, project, true)) as SnapshotOutcome
}

export interface SnapshotWriterOptions {
  store: SnapshotStore
  /** Called at most once per project, when its snapshot cannot be written. */
  warn: (message: string) => void
  delays?: { debounceMs: number; maxMs: number }
}

/** Keeps the snapshots of initialised projects current: debounced writes after commits, flushed on shutdown. */
export class SnapshotWriter {
  private readonly pending = new Map<string, { project: ProjectRef; firstAt: number; timer: NodeJS.Timeout }>()
  private readonly running = new Map<string, Promise<void>>()
  private readonly warned = new Set<string>()
  private readonly delays: { debounceMs: number; maxMs: number }

  constructor(private readonly options: SnapshotWriterOptions) {
    this.delays = options.delays ?? SNAPSHOT_DELAYS
  }

  /** Schedule a write after every commit that changed the project, its tasks or its discussions. Returns the unsubscribe. */
  attach(store: CommitSource): () => void {
    return store.onCommit(({ project, changed }) => {
      if (changed.some((name) => SNAPSHOT_DOCUMENTS.has(name))) this.schedule(project)
    })
  }

  /** Write `debounceMs` after the last call, and no later than `maxMs` after the first pending one. */
  schedule(project: ProjectRef): void {
    const now = Date.now()
    const entry = this.pending.get(project.dir)
    if (entry) clearTimeout(entry.timer)
    const firstAt = entry?.firstAt ?? now
    const wait = Math.max(0, Math.min(this.delays.debounceMs, firstAt + this.delays.maxMs - now))
    // the timer keeps the process alive until it fires, so a short-lived process still writes its snapshot
    const timer = setTimeout(() => void this.run(project.dir), wait)
    this.pending.set(project.dir, { project, firstAt, timer })
  }

  /** Write every pending snapshot now and wait for writes in progress. Never rejects. */
  async flush(): Promise<void> {
    await Promise.all([...this.pending.keys()].map((key) => this.run(key)))
    await Promise.all([...this.running.values()])
  }

  private run(key: string): Promise<void> {
    const entry = this.pending.get(key)
    if (!entry) return this.running.get(key) ?? Promise.resolve()
    clearTimeout(entry.timer)
    this.pending.delete(key)
    // one write per project at a time in this process: the snapshot lock is not re-entrant
    const next = (this.running.get(key) ?? Promise.resolve()).then(() => this.write(entry.project))
    this.running.set(key, next)
    void next.then(() => {
      if (this.running.get(key) === next) this.running.delete(key)
    })
    return next
  }

  private async write(project: ProjectRef): Promise<void> {
    try {
      await writeSnapshot(this.options.store, project, false)
    } catch (error) {
      if (this.warned.has(project.dir)) return
      this.warned.add(project.dir)
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
      try {
        this.options.warn(
          `Could not write the snapshot ${snapshotPath(project.root)} (${reason}); tool calls are unaffected. Make .lockstep/ writable to keep it current; this warning is not repeated.`,
        )
      } catch {
        // a failing logger must not fail the writer
      }
    }
  }
}

async function writeSnapshot(store: SnapshotStore, project: ProjectRef, create: boolean): Promise<SnapshotOutcome | 'skipped'> {
  const file = snapshotPath(project.root)
  if (create) await fsp.mkdir(dirname(file), { recursive: true })
  else if (!(await exists(file))) return 'skipped'
  await ensureDir(project.dir)
  const lock = await acquireFileLock(join(project.dir, 'snapshot'), Date.now() + LOCK_TIMEOUT_MS)
  try {
    // read under the snapshot lock, so an older render never overwrites a newer one written by another process
    const text = await renderProjectSnapshot(store, project)
    const before = await readTextOrNull(file)
    if (before === text) return 'unchanged'
    if (before === null && !create) return 'skipped'
    await writeFileAtomic(file, text, { mode: 0o644 })
    return before === null ? 'created' : 'updated'
  } finally {
    await lock.release()
  }
}

async function exists(file: string): Promise<boolean> {
  return fsp.stat(file).then(
    () => true,
    () => false,
  )
}

function byCreation(a: { createdAt: string; id: string }, b: { createdAt: string; id: string }): number {
  return byCodePoint(a.createdAt, b.createdAt) || byCodePoint(a.id, b.id)
}

/** Code point order; plain `<` compares UTF-16 units, which differs above U+FFFF. */
export function byCodePoint(a: string, b: string): number {
  let i = 0
  while (i < a.length && i < b.length) {
    const x = a.codePointAt(i)!
    const y = b.codePointAt(i)!
    if (x !== y) return x - y
    i += x > 0xffff ? 2 : 1
  }
  return a.length - b.length
}

function pick(source: object, fields: readonly string[]): Record<string, unknown> {
  const record = source as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const field of fields) if (record[field] !== undefined) out[field] = record[field]
  return out
}

// JSON.stringify cannot be used on sorted objects: engines list integer-like keys ("2", "10") first.
function serialize(value: unknown, indent: string): string {
  const inner = `${indent}  `
  if (Array.isArray(value)) {
    if (!value.length) return '[]'
    return `[\n${value.map((item) => inner + serialize(item ?? null, inner)).join(',\n')}\n${indent}]`
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort(byCodePoint)
    if (!keys.length) return '{}'
    return `{\n${keys.map((key) => `${inner}${JSON.stringify(key)}: ${serialize(record[key], inner)}`).join(',\n')}\n${indent}}`
  }
  return JSON.stringify(value) ?? 'null'
}
