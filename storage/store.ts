import { existsSync, promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { Low } from 'lowdb'
import { LockstepError } from '../lib/errors.js'
import { readTextOrNull, removeOldTempFiles, syncDirectory } from './atomic.js'
import { takeRestorePoint } from './backups.js'
import { EnvelopeFile, ensureDir, parseDocument, type DocumentDef, type LoadedDocument, type ProjectRef } from './documents.js'
import { EventReader } from './event-reader.js'
import { appendEvents, EVENTS_FILE, type EventInput, type LogEvent } from './events.js'
import { acquireFileLock, sweepParkedLocks, type HeldLock } from './lockfile.js'
import { projectRef } from './projects.js'
import { enqueue } from './queue.js'
import { ChangeWatcher } from './watch.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Registry = Record<string, DocumentDef<any>>
export type Bodies<R extends Registry> = { [K in keyof R]: R[K] extends DocumentDef<infer B> ? B : never }

export interface StoreOptions<R extends Registry> {
  dataDir: string
  /** The documents, in lock order. A key `project` holds the project's root and is created by the first write. */
  documents: R
  lockTimeoutMs?: number
  rotateBytes?: number
  now?: () => Date
  /** Read-only callers never create files, not even backups of corrupt documents. */
  readOnly?: boolean
}

export interface Tx<K> {
  readonly project: ProjectRef
  readonly now: Date
  /** True when this transaction creates the project's store. */
  readonly created: boolean
  readonly declared: readonly K[]
  emit(event: EventInput): void
  /** Abort and run again with these documents declared too (locks are never taken out of order). */
  require(...names: string[]): void
  /** Append text to a file of the project folder before the documents are written (an archive, say). */
  appendFile(name: string, text: string): void
  /** Run I/O after the mutation and before the documents are written, with the locks held (a backup, say). */
  beforeWrite(action: (projectDir: string) => Promise<void>): void
}

export interface Commit {
  project: ProjectRef
  changed: string[]
  events: LogEvent[]
}

class NeedDocuments extends Error {
  constructor(readonly names: string[]) {
    super(`transaction needs ${names.join(', ')}`)
  }
}

export class Store<R extends Registry> {
  readonly dataDir: string
  private readonly order: (keyof R & string)[]
  private readonly validated = new Map<string, string>()
  private readonly readCache = new Map<string, { key: string; doc: LoadedDocument }>()
  private readonly readers = new Map<string, EventReader>()
  private readonly rootsChecked = new Set<string>()
  private readonly listeners = new Set<(commit: Commit) => void>()
  private readonly watcher = new ChangeWatcher()
  private readonly prepared = new Set<string>()
  private readonly swept = new Map<string, number>()
  private readonly rooted = new Set<string>()

  constructor(private readonly options: StoreOptions<R>) {
    this.dataDir = options.dataDir
    this.order = Object.keys(options.documents)
  }

  /** The project that contains `dir` (see STORAGE §3). Throws NOT_FOUND for a missing folder. */
  project(dir: string): ProjectRef {
    return projectRef(this.dataDir, dir)
  }

  now(): Date {
    return this.options.now?.() ?? new Date()
  }

  /** Read one document without a lock. The result is shared and must not be mutated. */
  async read<K extends keyof R & string>(project: ProjectRef, name: K): Promise<Bodies<R>[K]> {
    return (await this.readDocument(project, name)).body as Bodies<R>[K]
  }

  async readDocument<K extends keyof R & string>(project: ProjectRef, name: K): Promise<LoadedDocument<Bodies<R>[K]>> {
    await this.checkRoot(project)
    const def = this.options.documents[name]
    const path = join(project.dir, def.file)
    const stat = await fsp.stat(path).catch(() => null)
    if (!stat) return { body: def.empty(project), rev: 0, exists: false }
    const key = `${stat.mtimeMs}:${stat.size}:${stat.ino}`
    const cached = this.readCache.get(path)
    if (cached?.key === key) return cached.doc as LoadedDocument<Bodies<R>[K]>
    const text = await readTextOrNull(path)
    if (text === null) return { body: def.empty(project), rev: 0, exists: false }
    const doc = await parseDocument(project, def, text, { backup: !this.options.readOnly })
    this.readCache.set(path, { key, doc })
    return doc as LoadedDocument<Bodies<R>[K]>
  }

  /**
   * Run `mutate` over the declared documents under their locks: lock in order → re-read → mutate (synchronous)
   * → atomic writes of changed documents → append events → release. A LockstepError thrown by `mutate` writes nothing.
   */
  async transact<K extends keyof R & string, T>(
    project: ProjectRef,
    names: K[],
    mutate: (docs: Pick<Bodies<R>, K>, tx: Tx<K>) => T,
  ): Promise<T> {
    return (await this.transactCommit(project, names, mutate)).result
  }

  /** As transact, also returning what was committed: the documents written and the events with their seq. */
  async transactCommit<K extends keyof R & string, T>(
    project: ProjectRef,
    names: K[],
    mutate: (docs: Pick<Bodies<R>, K>, tx: Tx<K>) => T,
  ): Promise<{ result: T; commit: Commit }> {
    if (this.options.readOnly) throw new Error('read-only store')
    await this.checkRoot(project)
    let declared = this.sorted(names)
    const { result, commit } = await enqueue(project.dir, async () => {
      for (;;) {
        try {
          return await this.runOnce(project, declared, mutate)
        } catch (error) {
          if (!(error instanceof NeedDocuments)) throw error
          declared = this.sorted([...declared, ...(error.names as K[])])
        }
      }
    })
    if (commit.changed.length || commit.events.length) {
      this.watcher.notify(project.dir)
      for (const listener of this.listeners) safely(() => listener(commit))
    }
    return { result, commit }
  }

  eventReader(project: ProjectRef): EventReader {
    let reader = this.readers.get(project.dir)
    if (!reader) this.readers.set(project.dir, (reader = new EventReader(project.dir)))
    return reader
  }

  onCommit(listener: (commit: Commit) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Resolve on a change to the project's folder (any process), a commit here, `maxWaitMs`, or abort. */
  waitForChange(project: ProjectRef, maxWaitMs: number, signal?: AbortSignal): Promise<void> {
    return this.watcher.wait(project.dir, maxWaitMs, signal)
  }

  close(): void {
    this.watcher.close()
  }

  private sorted<K extends keyof R & string>(names: K[]): K[] {
    const unknown = names.filter((name) => !this.order.includes(name))
    if (unknown.length) throw new Error(`unknown documents: ${unknown.join(', ')}`)
    return this.order.filter((name) => names.includes(name as K)) as K[]
  }

  private async checkRoot(project: ProjectRef): Promise<void> {
    if (this.rootsChecked.has(project.dir) || !this.options.documents.project) return
    const text = await readTextOrNull(join(project.dir, this.options.documents.project.file))
    if (text !== null) {
      let root: unknown
      try {
        root = (JSON.parse(text) as { root?: unknown }).root
      } catch {
        return // a corrupt project.json is reported by the reads and transactions that need it
      }
      if (root !== project.root) {
        throw new LockstepError(
          'CONFLICT',
          `The store folder ${project.dir} belongs to ${String(root)}, not ${project.root} (a folder-name collision); nothing is shared. Move one of the projects or set another data folder.`,
          { storeDir: project.dir, root, requested: project.root },
        )
      }
      // only a recorded root is remembered: until then another process may still create the folder
      this.rootsChecked.add(project.dir)
    }
  }

  private async runOnce<K extends keyof R & string, T>(
    project: ProjectRef,
    names: K[],
    mutate: (docs: Pick<Bodies<R>, K>, tx: Tx<K>) => T,
  ): Promise<{ result: T; commit: Commit }> {
    if (!this.prepared.has(project.dir)) {
      await ensureDir(project.dir)
      await removeOldTempFiles(project.dir)
      this.prepared.add(project.dir)
    }
    // lock folders parked by processes killed since: at the first write, then every 10 minutes
    if ((this.swept.get(project.dir) ?? 0) < Date.now() - 600_000) {
      sweepParkedLocks(project.dir)
      this.swept.set(project.dir, Date.now())
    }
    const rootDoc = this.options.documents.project
    if (rootDoc && !names.includes('project' as K) && !this.rooted.has(project.dir)) {
      if (existsSync(join(project.dir, rootDoc.file))) this.rooted.add(project.dir)
      else names = this.sorted(['project' as K, ...names])
    }
    const deadline = Date.now() + (this.options.lockTimeoutMs ?? 10_000)
    const held: HeldLock[] = []
    let eventsLock: HeldLock | undefined
    try {
      for (const name of names) held.push(await acquireFileLock(join(project.dir, this.options.documents[name].file), deadline))
      const now = this.now()
      const loaded = await Promise.all(names.map((name) => this.load(project, name, held, now)))
      const created = loaded.some((entry) => entry.name === 'project' && !entry.db.data!.exists)
      const events: EventInput[] = []
      const actions: ((projectDir: string) => Promise<void>)[] = []
      const tx: Tx<K> = {
        project,
        now,
        created,
        declared: names,
        emit: (event) => events.push(event),
        appendFile: (name, text) => void actions.push((dir) => fsp.appendFile(join(dir, name), text, { mode: 0o600 })),
        beforeWrite: (action) => void actions.push(action),
        require: (...more) => {
          const missing = more.filter((name) => !names.includes(name as K))
          if (missing.length) throw new NeedDocuments(missing)
        },
      }
      const docs = Object.fromEntries(loaded.map((entry) => [entry.name, entry.db.data!.body])) as Pick<Bodies<R>, K>
      const result = mutate(docs, tx)
      if (result instanceof Promise) throw new Error('transaction callbacks must be synchronous')
      for (const action of actions) await action(project.dir)
      // the events lock (last in the order) is taken while the thread pool syncs the first document
      const takeEventsLock = async () => {
        // the documents are about to commit: a deadline spent waiting for them must not turn this commit into BUSY
        if (events.length && !eventsLock) eventsLock = await acquireFileLock(join(project.dir, EVENTS_FILE), Date.now() + (this.options.lockTimeoutMs ?? 10_000))
      }
      const changed: string[] = []
      for (const entry of loaded) {
        const doc = entry.db.data!
        const isNewRoot = entry.name === 'project' && !doc.exists
        const bodyJson = JSON.stringify(doc.body, null, 2)
        const unchanged = doc.exists ? entry.file.unchangedText(doc, bodyJson) === doc.text : bodyJson === entry.emptyJson
        if (!isNewRoot && !doc.migratedFrom && unchanged) continue
        if (doc.migratedFrom) await this.keepPreMigrationCopy(project, entry.name, doc.migratedFrom)
        else if (doc.exists) await takeRestorePoint(project.dir, this.options.documents[entry.name].file, now)
        await entry.file.write({ ...doc, rev: doc.rev + 1 }, bodyJson, events.length && !eventsLock ? takeEventsLock : undefined)
        changed.push(entry.name)
      }
      // one fsync of the folder makes every rename of this transaction durable; the events are appended meanwhile,
      // and the document locks are kept until it is done
      const renamesSynced = changed.length ? syncDirectory(project.dir) : undefined
      let logged: LogEvent[] = []
      try {
        if (events.length) {
          await takeEventsLock()
          // the documents are committed: an events lock lost meanwhile (a stall past `stale`) leaves the events out,
          // as a crash at this point would, rather than give two events one seq
          const kept = !eventsLock!.compromised && (await eventsLock!.stillHeld())
          if (kept) logged = await appendEvents(project.dir, events, now, this.options.rotateBytes ?? 16 * 1024 * 1024)
        }
      } finally {
        await eventsLock?.release()
        eventsLock = undefined
        await renamesSynced
      }
      return { result, commit: { project, changed, events: logged } }
    } finally {
      await eventsLock?.release()
      for (const lock of held.reverse()) await lock.release()
    }
  }

  private async load<K extends keyof R & string>(project: ProjectRef, name: K, held: HeldLock[], now: Date) {
    const def = this.options.documents[name]
    // every lock of the transaction, not only this document's: a rename must never commit half a transaction
    const fence = async () => {
      for (const lock of held) {
        if (lock.compromised || !(await lock.stillHeld())) {
          throw new LockstepError('BUSY', `Lost the lock on ${lock.file} before writing ${def.file}; nothing was written. Retry the call.`, { file: def.file })
        }
      }
    }
    const file = new EnvelopeFile<Bodies<R>[K]>(project, def, { validated: this.validated, beforeRename: fence, now: () => now })
    const db = new Low<LoadedDocument<Bodies<R>[K]>>(file, null as never)
    await db.read()
    const emptyJson = db.data === null ? JSON.stringify(def.empty(project), null, 2) : ''
    if (db.data === null) db.data = { body: def.empty(project), rev: 0, exists: false }
    return { name, db, file, emptyJson }
  }

  private async keepPreMigrationCopy(project: ProjectRef, name: string, version: number): Promise<void> {
    const file = this.options.documents[name].file
    const target = join(project.dir, 'backups', `${file.replace(/\.json$/, '')}.v${version}.json`)
    await ensureDir(join(project.dir, 'backups'))
    await fsp.copyFile(join(project.dir, file), target).catch((error: NodeJS.ErrnoException) => {
      throw new LockstepError('CORRUPT_STATE', `Could not keep a copy of ${file} before migrating it (${error.code}); nothing was written.`, {
        file,
        step: 'backup',
      })
    })
  }
}

function safely(fn: () => void): void {
  try {
    fn()
  } catch {
    // a listener's failure must not fail a transaction that has already committed
  }
}
