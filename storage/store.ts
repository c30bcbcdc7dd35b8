import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { LockstepError } from '../lib/errors.js'
import { readArchiveAfter } from './archive.js'
import { removeOldTempFiles } from './atomic.js'
import type { Op } from './journal/collections.js'
import { ensureDir, type DocumentDef, type LoadedDocument, type ProjectRef } from './documents.js'
import { EventReader } from './journal/event-reader.js'
import type { EventInput, LogEvent } from './journal/events.js'
import { applyFileOps, placeFileOps } from './journal/file-ops.js'
import { JOURNAL_FILE, type CommitLine } from './journal/journal.js'
import { acquireLock, tryLock } from './locks/project-lock.js'
import { ProjectState, landed, type FileOp } from './journal/project-state.js'
import { projectRef } from './projects.js'
import { enqueue } from './locks/queue.js'
import { keepCopy, snapshotsDue, writeSnapshots } from './recovery/snapshots.js'
import { Changes, rollback, tracking } from './journal/tracking.js'
import { ChangeWatcher } from './watch.js'

export type Registry = Record<string, DocumentDef<any>>
export type Bodies<R extends Registry> = { [K in keyof R]: R[K] extends DocumentDef<infer B> ? B : never }

export const LOCK_FILE = 'journal.lock'

export interface StoreOptions<R extends Registry> {
  dataDir: string
  /** The documents. A key `project` holds the project's root and is created by the first write. */
  documents: R
  lockTimeoutMs?: number
  now?: () => Date
  /** Read-only callers never create files, not even backups of corrupt documents. */
  readOnly?: boolean
  /** Journal bytes after which the snapshots are written again. */
  snapshotBytes?: number
}

export interface Tx<K> {
  readonly project: ProjectRef
  readonly now: Date
  /** True when this transaction creates the project's store. */
  readonly created: boolean
  readonly declared: readonly K[]
  emit(event: EventInput): void
  /** Make more documents available to this transaction. */
  require(...names: string[]): void
  /** Append text to a file of the project folder as part of the commit (an archive, say): it lands exactly once. */
  appendFile(name: string, text: string): void
  /** Run I/O after the mutation and before the commit, with the lock held (an artifact's content, say). */
  beforeWrite(action: (projectDir: string) => Promise<void>): void
  /** Keep a copy of every document as it is now in `backups/<label>-<ts>/`; returns that folder. */
  backup(label: string): string
}

export interface Commit {
  project: ProjectRef
  changed: string[]
  events: LogEvent[]
}

/**
 * The store: per project, an append-only journal of commits under one lock, and each document's state in memory,
 * brought up to date from the journal's new tail before every read and inside every transaction.
 */
export class Store<R extends Registry> {
  readonly dataDir: string
  private readonly states = new Map<string, ProjectState>()
  private readonly readers = new Map<string, EventReader>()
  private readonly listeners = new Set<(commit: Commit) => void>()
  private readonly watcher = new ChangeWatcher()
  private readonly prepared = new Set<string>()
  /** Transactions of this process begun and not yet answered, on any project. */
  private active = 0
  /**
   * Whether a lone commit may fdatasync on the event loop. A process that serves several agents turns it off, since a
   * request of another may be on its way while the disk works.
   */
  syncInline = true
  private readonly writing = new Map<string, Promise<unknown>>()

  constructor(private readonly options: StoreOptions<R>) {
    this.dataDir = options.dataDir
  }

  /** The project that contains `dir`. Throws NOT_FOUND for a missing folder. */
  project(dir: string): ProjectRef {
    return projectRef(this.dataDir, dir)
  }

  now(): Date {
    return this.options.now?.() ?? new Date()
  }

  /**
   * The current body of one document, read without a lock. Shared: callers must not mutate it. With `maxStaleMs`, the
   * state this process caught up to within that many milliseconds will do, without looking at the journal again.
   */
  async read<K extends keyof R & string>(project: ProjectRef, name: K, options: { maxStaleMs?: number } = {}): Promise<Bodies<R>[K]> {
    return (await this.readDocument(project, name, options)).body as Bodies<R>[K]
  }

  async readDocument<K extends keyof R & string>(project: ProjectRef, name: K, options: { maxStaleMs?: number } = {}): Promise<LoadedDocument<Bodies<R>[K]>> {
    // a transaction of this process between its mutation and its commit must not be seen
    await this.writing.get(project.dir)
    const state = await this.stateOf(project)
    if (!(options.maxStaleMs && state.loaded && performance.now() - state.syncedAt < options.maxStaleMs)) await state.sync()
    this.checkRoot(project, state)
    const body = state.doc(name).view() as Bodies<R>[K]
    return { body, rev: state.journal.position.seq, exists: state.journal.exists }
  }

  /**
   * Run `mutate` over the declared documents under the project lock: catch up with the journal → mutate
   * (synchronous) → append one line and fdatasync it → release. A throw from `mutate` changes nothing.
   */
  async transact<K extends keyof R & string, T>(project: ProjectRef, names: K[], mutate: (docs: Pick<Bodies<R>, K>, tx: Tx<K>) => T): Promise<T> {
    return (await this.transactCommit(project, names, mutate)).result
  }

  /** As transact, also returning what was committed: the documents changed and the events with their seq. */
  async transactCommit<K extends keyof R & string, T>(project: ProjectRef, names: K[], mutate: (docs: Pick<Bodies<R>, K>, tx: Tx<K>) => T): Promise<{ result: T; commit: Commit }> {
    if (this.options.readOnly) throw new Error('read-only store')
    for (const name of names) if (!(name in this.options.documents)) throw new Error(`unknown document ${name}`)
    this.active++
    let outcome: Awaited<ReturnType<typeof this.runLocked<K, T>>>
    try {
      const run = enqueue(project.dir, () => this.runLocked(project, names, mutate))
      this.writing.set(
        project.dir,
        run.catch(() => undefined),
      )
      outcome = await run
      // acknowledged only once durable: after an fdatasync that began after its line was written
      if (outcome.durable) await outcome.durable
    } finally {
      this.active--
    }
    const { result, commit } = outcome
    if (commit.changed.length || commit.events.length) {
      this.watcher.notify(project.dir)
      for (const listener of this.listeners) safely(() => listener(commit))
    }
    return { result, commit }
  }

  /**
   * A page of the archive `file` of the project folder (records in seq order), found without reading it whole. Appends
   * already committed but not landed in the file yet (their committer is just past its commit, or died there) are read
   * from the journal, so a record moved out of a document is never missing from both.
   */
  async readArchive<T extends { seq: number }>(project: ProjectRef, file: string, after: number, limit: number, options: { before?: number; accept?: (record: T) => boolean } = {}): Promise<T[]> {
    const state = await this.stateOf(project)
    await state.sync()
    const path = join(project.dir, file)
    const pending = state.pendingFiles.filter((op) => op[2] === file && !landed(project.dir, op)).map(([, , , { text }]) => text)
    return readArchiveAfter<T>(path, after, limit, { ...options, pending })
  }

  eventReader(project: ProjectRef): EventReader {
    let reader = this.readers.get(project.dir)
    if (!reader) this.readers.set(project.dir, (reader = new EventReader(project.dir, () => this.stateOf(project))))
    return reader
  }

  onCommit(listener: (commit: Commit) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Resolve on a commit to the project (any process), `maxWaitMs`, or abort. */
  waitForChange(project: ProjectRef, maxWaitMs: number, signal?: AbortSignal): Promise<void> {
    return this.watcher.wait(project.dir, maxWaitMs, signal, (name) => name === JOURNAL_FILE)
  }

  close(): void {
    this.watcher.close()
    for (const state of this.states.values()) state.journal.close()
  }

  private async stateOf(project: ProjectRef): Promise<ProjectState> {
    let state = this.states.get(project.dir)
    if (!state) {
      const made = (state = new ProjectState(project, this.registry(), { backup: !this.options.readOnly, rereadSnapshots: this.options.readOnly }))
      // the lines of a failed fdatasync may have been cut back: the next read rebuilds from the journal
      made.journal.onSyncFailed = () => (made.loaded = false)
      // they are cut back only under the lock, and only when nobody holds it (journal.ts)
      made.journal.tryLock = () => tryLock(join(project.dir, LOCK_FILE))
      this.states.set(project.dir, state)
    }
    return state
  }

  private checkRoot(project: ProjectRef, state: ProjectState): void {
    if (!('project' in this.options.documents) || !state.journal.exists || state.broken.has('project')) return
    const root = (state.doc('project').body as { root?: unknown }).root
    if (root !== project.root) {
      throw new LockstepError(
        'CONFLICT',
        `The store folder ${project.dir} belongs to ${String(root)}, not ${project.root} (a folder-name collision); nothing is shared. Move one of the projects or set another data folder.`,
        { storeDir: project.dir, root, requested: project.root },
      )
    }
  }

  private async runLocked<K extends keyof R & string, T>(
    project: ProjectRef,
    names: K[],
    mutate: (docs: Pick<Bodies<R>, K>, tx: Tx<K>) => T,
  ): Promise<{ result: T; commit: Commit; durable?: Promise<void> }> {
    if (!this.prepared.has(project.dir)) {
      await ensureDir(project.dir)
      await removeOldTempFiles(project.dir)
      this.prepared.add(project.dir)
    }
    const state = await this.stateOf(project)
    const unlock = await acquireLock(join(project.dir, LOCK_FILE), Date.now() + (this.options.lockTimeoutMs ?? 10_000))
    let locked = true
    const release = () => {
      if (locked) unlock()
      locked = false
    }
    try {
      await state.sync()
      state.journal.repairTail()
      const journalStarts = !state.journal.exists
      // a store of the older layout has documents but no journal yet: it is not created, only continued
      const created = journalStarts && !fs.existsSync(join(project.dir, this.registry().project?.file ?? 'project.json'))
      if (journalStarts) {
        state.journal.create(state.journal.position.eventSeq)
        await state.sync()
      }
      this.checkRoot(project, state)
      applyFileOps(project.dir, state.pendingFiles)
      const { result, line, changed, actions } = this.mutateInMemory(project, state, names, mutate, created)
      const commit: Commit = { project, changed, events: line.events ?? [] }
      if (!line.ops.length && !line.events?.length) return { result, commit }
      // the lock goes before the disk sync unless this commit has more to do under it: appends to other files of the
      // folder (they must land once, in journal order) or snapshots
      const snapshots = journalStarts || snapshotsDue(state, this.now(), this.options.snapshotBytes)
      const early = !snapshots && !line.ops.some((op) => (op[0] as string) === '@file')
      let durable: Promise<void> | false
      try {
        for (const action of actions) await action(project.dir)
        // alone in this process, the sync runs inline: no thread hand-off to wait for, and nothing else to serve
        durable = state.journal.append(line, early ? release : undefined, this.syncInline && this.active === 1)
        if (!durable) {
          throw new LockstepError(
            'BUSY',
            `The journal of ${project.dir} changed while this call was committing (another process committed while this one stalled, or a failed disk write was taken back); nothing was written. Retry the call.`,
            { folder: project.dir },
          )
        }
        // a commit that keeps the lock (file appends in journal order, snapshots) goes on only once its line is durable
        if (!early) await durable
      } catch (error) {
        // the commit did not land: back to the journal's state
        await state.load()
        throw error
      }
      for (const name of changed) {
        state.doc(name).invalidate(line.ops.filter((op) => op[0] === name))
        state.doc(name).settle()
      }
      state.committed(line)
      applyFileOps(project.dir, state.pendingFiles)
      // a new journal's snapshots are written at once: project.json names the root for every lister of projects, and
      // each document records where in the journal it stands
      if (snapshots) await writeSnapshots(state, this.registry(), this.now())
      return { result, commit, durable }
    } finally {
      release()
    }
  }

  private mutateInMemory<K extends keyof R & string, T>(project: ProjectRef, state: ProjectState, names: K[], mutate: (docs: Pick<Bodies<R>, K>, tx: Tx<K>) => T, created: boolean) {
    const now = this.now()
    const changes = new Changes()
    const events: EventInput[] = []
    const files: FileOp[] = []
    const actions: ((dir: string) => Promise<void>)[] = []
    const docs = {} as Record<string, unknown>
    const use = (name: string) => {
      if (!(name in this.options.documents)) throw new Error(`unknown document ${name}`)
      if (!(name in docs)) docs[name] = state.doc(name).body
    }
    for (const name of names) use(name)
    const tx: Tx<K> = {
      project,
      now,
      created,
      declared: names,
      emit: (event) => void events.push(event),
      require: (...more) => more.forEach(use),
      appendFile: (name, text) => void files.push(['@file', 'append', name, { at: -1, text }]),
      beforeWrite: (action) => void actions.push(action),
      backup: (label) => keepCopy(state, this.registry(), label, now, actions),
    }
    let result: T
    try {
      result = tracking(changes, () => mutate(docs as Pick<Bodies<R>, K>, tx))
      if (result instanceof Promise) throw new Error('transaction callbacks must be synchronous')
    } catch (error) {
      rollback(changes)
      for (const name of Object.keys(docs)) state.doc(name).restore()
      throw error
    }
    const ops: (Op | FileOp)[] = []
    const changed: string[] = []
    for (const name of Object.keys(docs)) {
      const docOps = state.doc(name).diff(changes)
      // the first commit writes the project's record whole, so that it exists for every reader
      if (created && name === 'project') for (const key of Object.keys(docs.project as object)) docOps.push(['project', 'set', key, (docs.project as Record<string, unknown>)[key]])
      if (docOps.length) changed.push(name)
      ops.push(...docOps)
    }
    ops.push(...placeFileOps(project.dir, files))
    const eventSeq = state.journal.position.eventSeq
    const logged: LogEvent[] = events.map((event, index) => ({ seq: eventSeq + index + 1, ts: now.toISOString(), ...event }))
    const line: CommitLine = {
      seq: state.journal.position.seq + 1,
      ts: now.toISOString(),
      id: randomUUID().slice(0, 8) + randomUUID().slice(0, 4),
      ops: ops as Op[],
      ...(logged.length ? { events: logged } : {}),
    }
    return { result: result!, line, changed, actions }
  }

  private registry(): Record<string, DocumentDef<object>> {
    return this.options.documents as Record<string, DocumentDef<object>>
  }
}

function safely(fn: () => void): void {
  try {
    fn()
  } catch {
    // a listener's failure must not fail a transaction that has already committed
  }
}
