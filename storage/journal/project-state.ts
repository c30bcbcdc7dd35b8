import fs from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { LockstepError } from '../../lib/errors.js'
import { TrackedDocument, type Op } from './collections.js'
import { parseDocument, type DocumentDef, type ProjectRef } from '../documents.js'
import { legacyLastEventSeq } from './legacy-events.js'
import { Journal, type CommitLine, type Position } from './journal.js'
import type { LogEvent } from './events.js'

export type Registry = Record<string, DocumentDef<object>>

/** A text appended to a file of the project folder by a commit: applied once, at byte `at`, under the lock. */
export type FileOp = [doc: '@file', action: 'append', name: string, at: { at: number; text: string }]

const RECENT_EVENTS = 5000

/**
 * One project's state in this process: every document's snapshot, brought up to date from the journal. A document
 * whose snapshot is corrupt holds its CORRUPT_STATE error instead, and the others go on.
 */
export class ProjectState {
  readonly journal: Journal
  readonly docs = new Map<string, TrackedDocument>()
  readonly broken = new Map<string, LockstepError>()
  /** Per document, the commit its snapshot includes: older journal lines are not applied to it again. */
  readonly snapshotSeq = new Map<string, number>()
  readonly snapshotOffset = new Map<string, number>()
  /** The newest events, fed by every line applied. */
  readonly recent: LogEvent[] = []
  readonly pendingFiles: FileOp[] = []
  loaded = false
  /** When this process last caught up with the journal (performance.now()). */
  syncedAt = -Infinity
  // what each snapshot file was when loaded: a reader that writes none notices one replaced by hand or by a repair
  private signatures = ''

  constructor(
    readonly project: ProjectRef,
    private readonly registry: Registry,
    private readonly options: { backup: boolean; rereadSnapshots?: boolean },
  ) {
    this.journal = new Journal(project.dir)
  }

  /** Read the snapshots and replay the journal past them. */
  async load(): Promise<void> {
    this.docs.clear()
    this.broken.clear()
    this.snapshotSeq.clear()
    this.snapshotOffset.clear()
    this.recent.length = 0
    let from: Position | null = null
    for (const [name, def] of Object.entries(this.registry)) {
      const file = join(this.project.dir, def.file)
      let text: string | null = null
      try {
        text = fs.readFileSync(file, 'utf8')
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      }
      let body: object
      let position: Position = { seq: 0, eventSeq: 0, offset: 0 }
      if (text === null) body = def.empty(this.project)
      else {
        try {
          const doc = await parseDocument(this.project, def, text, { backup: this.options.backup })
          body = doc.body
          if (doc.journal) position = doc.journal
        } catch (error) {
          if (!(error instanceof LockstepError)) throw error
          this.broken.set(name, error)
          continue
        }
      }
      this.docs.set(name, new TrackedDocument(name, body, def.collections ?? {}))
      this.snapshotSeq.set(name, position.seq)
      this.snapshotOffset.set(name, position.offset)
      if (!from || position.seq < from.seq) from = position
    }
    this.signatures = this.snapshotSignatures()
    from ??= { seq: 0, eventSeq: 0, offset: 0 }
    if (from.offset === 0 && !this.journal.exists) from = { ...from, eventSeq: await legacyLastEventSeq(this.project.dir) }
    this.journal.open(from)
    this.loaded = true
    this.catchUp()
  }

  /** Apply what other processes committed since; rebuild when the journal was replaced or cut. */
  async sync(): Promise<void> {
    if (!this.loaded) return this.load()
    if (this.options.rereadSnapshots && this.snapshotSignatures() !== this.signatures) return this.load()
    if (this.catchUp() === 'reset') await this.load()
  }

  private snapshotSignatures(): string {
    return Object.values(this.registry)
      .map((def) => {
        const stat = fs.statSync(join(this.project.dir, def.file), { throwIfNoEntry: false })
        return stat ? `${stat.mtimeMs}:${stat.size}:${stat.ino}` : '-'
      })
      .join(' ')
  }

  /** The document, or its CORRUPT_STATE error. */
  doc(name: string): TrackedDocument {
    const broken = this.broken.get(name)
    if (broken) throw broken
    const doc = this.docs.get(name)
    if (!doc) throw new Error(`unknown document ${name}`)
    return doc
  }

  /** Record a line this process committed itself: its changes are in memory already. */
  committed(line: CommitLine): void {
    for (const op of line.ops as (Op | FileOp)[]) if (op[0] === '@file') this.addPending(op as FileOp)
    this.remember(line)
  }

  /**
   * Appends committed but maybe not landed yet. Only a writer carries them out (under the lock), so a process that only
   * reads would keep every one it saw: those that have landed are dropped as new ones arrive.
   */
  private addPending(op: FileOp): void {
    for (let i = this.pendingFiles.length - 1; i >= 0; i--) if (landed(this.project.dir, this.pendingFiles[i])) this.pendingFiles.splice(i, 1)
    this.pendingFiles.push(op)
  }

  private catchUp(): 'ok' | 'reset' {
    const started = performance.now()
    const result = this.journal.catchUp((line) => {
      for (const op of line.ops as (Op | FileOp)[]) {
        if (op[0] === '@file') {
          this.addPending(op as FileOp)
          continue
        }
        const doc = this.docs.get(op[0])
        if (doc && line.seq > (this.snapshotSeq.get(op[0]) ?? 0)) doc.apply(op as Op)
      }
      this.remember(line)
    })
    if (result === 'ok') this.syncedAt = started
    return result
  }

  private remember(line: CommitLine): void {
    if (!line.events?.length) return
    this.recent.push(...line.events)
    if (this.recent.length > RECENT_EVENTS * 2) this.recent.splice(0, this.recent.length - RECENT_EVENTS)
  }
}

/** Whether a committed append is in its file (appends land in order, each where the file ended at its commit). */
export function landed(dir: string, [, , name, { at, text }]: FileOp): boolean {
  return (fs.statSync(join(dir, name), { throwIfNoEntry: false })?.size ?? 0) >= at + Buffer.byteLength(text)
}
