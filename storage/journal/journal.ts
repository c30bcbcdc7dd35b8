import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { join } from 'node:path'
import { GroupSync } from './group-sync.js'
import { LockstepError } from '../../lib/errors.js'
import type { Op } from './collections.js'
import type { LogEvent } from './events.js'

// The journal is the store: one line per commit, appended and fdatasynced under the project lock.
//
// Invariant: line k of the commit chain has `seq` k. The valid line with seq N+1 is the first complete line with that
// seq after the valid line N; every other line is void. A writer appends seq N+1 only after reading up to N under the
// lock, and right after its append it reads back from where it appended: if another line N+1 came first (the lock was
// broken while it stalled), its own line is void and it answers BUSY; only a line found valid is then fdatasynced and
// acknowledged. Readers apply the same rule, so the lock is only
// an optimisation: no lock, however broken, can make two commits of one seq both count.
//
// A complete line is cut back only under the lock (the lines of a failed fdatasync, in `cutBack`): a writer that holds
// it may have read the line, and its own line, one seq further, must not land where the cut one was. A writer also
// appends only where it caught up to: a journal of another length means something changed under it.

export const JOURNAL_FILE = 'journal.jsonl'
const NEWLINE = 0x0a

export interface CommitLine {
  seq: number
  ts: string
  /** Unique per append, to find one's own line again. */
  id: string
  ops: Op[]
  events?: LogEvent[]
}

/** Where a reader stands: the last valid commit, the last event seq, and the byte offset just past that line. */
export interface Position {
  seq: number
  eventSeq: number
  offset: number
}

export class Journal {
  readonly path: string
  private fd = -1
  private appendFd = -1
  private ino = -1
  position: Position = { seq: 0, eventSeq: 0, offset: 0 }
  /** Complete lines that do not parse as a commit: skipped, and reported by status and doctor. */
  unreadable = 0
  /** Lines that lost their seq to another line (a writer whose lock was broken): void by design. */
  voided = 0
  /** Told when an fdatasync of this process's lines failed (they may have been cut back): the state is to be rebuilt. */
  onSyncFailed?: () => void
  /** Take the project lock at once if nobody holds it (`tryLock` of storage/locks/project-lock.ts); its release, or null. */
  tryLock?: () => (() => void) | null
  private readonly syncs = new GroupSync(
    () => this.appendFd,
    (error, kept) => diskError(this.dir, error, kept),
    () => this.onSyncFailed?.(),
    (to, end, locked) => this.cutBack(to, end, locked),
  )

  constructor(readonly dir: string) {
    this.path = join(dir, JOURNAL_FILE)
  }

  get exists(): boolean {
    return this.fd >= 0 || fs.existsSync(this.path)
  }

  /** Start reading at `from` (a snapshot's position, or the start). */
  open(from: Position): void {
    this.close()
    this.position = { ...from }
    this.unreadable = 0
    this.voided = 0
  }

  close(): void {
    if (this.appendFd >= 0) this.syncs.drain()
    if (this.fd >= 0) fs.closeSync(this.fd)
    if (this.appendFd >= 0) fs.closeSync(this.appendFd)
    this.fd = -1
    this.appendFd = -1
    this.ino = -1
  }

  /**
   * Hand each valid line past the position to `onLine`. Returns 'reset' when the file was replaced or cut below the
   * position: the caller must rebuild from the snapshots. Throws CORRUPT_STATE on a gap in the chain.
   */
  catchUp(onLine: (line: CommitLine) => void): 'ok' | 'reset' {
    if (this.fd < 0 && !this.openFile()) return this.position.offset > 0 ? 'reset' : 'ok'
    // the file at the path, when it is the one open here, gives the size too: one stat per catch-up
    const current = fs.statSync(this.path, { throwIfNoEntry: false })
    if (!current || current.ino !== this.ino || current.size < this.position.offset) return 'reset'
    if (current.size === this.position.offset) return 'ok'
    const buffer = Buffer.allocUnsafe(current.size - this.position.offset)
    const read = fs.readSync(this.fd, buffer, 0, buffer.length, this.position.offset)
    for (let start = 0; ;) {
      const end = buffer.indexOf(NEWLINE, start)
      if (end < 0 || end >= read) break
      const line = this.parse(buffer.subarray(start, end), this.position.offset)
      if (line) {
        onLine(line)
        if (line.events?.length) this.position.eventSeq = line.events[line.events.length - 1].seq
        this.position.seq = line.seq
      }
      this.position.offset += end + 1 - start
      start = end + 1
    }
    return 'ok'
  }

  /** The byte offset of the end of the last complete line (a torn tail lies beyond it). */
  completeEnd(): number {
    if (this.fd < 0 && !this.openFile()) return 0
    const size = fs.fstatSync(this.fd).size
    if (size === this.position.offset) return size
    const tail = Buffer.allocUnsafe(Math.min(size, 1 << 20))
    const read = fs.readSync(this.fd, tail, 0, tail.length, size - tail.length)
    const last = tail.subarray(0, read).lastIndexOf(NEWLINE)
    return last < 0 ? size - tail.length : size - tail.length + last + 1
  }

  /** Under the lock: cut a line left torn by a crash or a failed disk, so that the next append starts a line. */
  repairTail(): void {
    if (this.fd < 0) return
    const size = fs.fstatSync(this.fd).size
    if (size === this.position.offset) return
    const end = this.completeEnd()
    if (end < size) fs.truncateSync(this.path, end)
  }

  /** Under the lock: create the journal if it is missing, its first line carrying the event seq to go on from. */
  create(eventSeq: number): void {
    if (fs.existsSync(this.path)) return
    const temp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
    const fd = fs.openSync(temp, 'wx', 0o600)
    try {
      fs.writeSync(fd, `${JSON.stringify({ seq: 0, ts: new Date().toISOString(), id: 'base', ops: [], eventSeq })}\n`)
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    try {
      // link() never replaces: a journal created meanwhile by another process wins
      fs.linkSync(temp, this.path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    } finally {
      fs.rmSync(temp, { force: true })
    }
  }

  /**
   * Under the lock, caught up: append `line` (seq = position.seq + 1) and check that it is the valid line of its seq.
   * Returns a promise of its durability (an fdatasync shared with the lines appended near it), or false when nothing
   * of this commit counts: another line of that seq came first, or the journal no longer ends where this process
   * caught up to (a line appended or cut back under it), and then nothing was written. `release`: the lock's release,
   * called once the line is found valid; without it the caller keeps the lock until the promise settles.
   */
  append(line: CommitLine, release?: () => void, inline = false): Promise<void> | false {
    const bytes = Buffer.from(`${JSON.stringify(line)}\n`)
    const start = this.position.offset
    if (this.fd < 0) this.openFile()
    // the same file as the reading descriptor: catchUp reports a replaced journal before any append
    if (this.appendFd < 0) this.appendFd = fs.openSync(this.path, 'a', 0o600)
    const fd = this.appendFd
    // an append lands where the file ends: only there if that is where this process read up to
    if (fs.fstatSync(fd).size !== start) return false
    try {
      for (let done = 0; done < bytes.length;) done += fs.writeSync(fd, bytes, done, bytes.length - done)
    } catch (error) {
      // a partial line must not stay: cut it back (the lock is still held)
      fs.ftruncateSync(fd, Math.min(fs.fstatSync(fd).size, start))
      throw diskError(this.dir, error as NodeJS.ErrnoException)
    }
    const check = Buffer.allocUnsafe(bytes.length)
    const read = fs.readSync(this.fd, check, 0, bytes.length, start)
    let mine = read === bytes.length && check.equals(bytes)
    if (mine) {
      this.position = { seq: line.seq, eventSeq: line.events?.length ? line.events[line.events.length - 1].seq : this.position.eventSeq, offset: start + bytes.length }
    } else {
      // another writer appended first: read on as any reader would and see whose line is valid
      this.catchUp((valid) => {
        if (valid.id === line.id) mine = true
      })
    }
    if (!mine) return false
    // the line is the valid one of its seq: the next writer may go on while this one waits for the disk (its own
    // fdatasync covers this line too, so nothing acknowledged ever rests on a line that is not durable)
    release?.()
    return this.syncs.add(start, start + bytes.length, !release, inline)
  }

  /**
   * The lines of a failed fdatasync, from `to` to `end`: cut them back if they are still the file's last and the lock
   * is this process's for it (`locked`: held by the commit waiting on them; otherwise taken now, only if nobody holds
   * it). Never without it: a writer that holds it may have read them and would append its next seq where they were,
   * leaving a gap in the chain. Returns whether they were cut; when not, they stay (valid lines, maybe not durable).
   */
  private cutBack(to: number, end: number, locked: boolean): boolean {
    const unlock = locked ? () => undefined : this.tryLock?.()
    if (!unlock) return false
    try {
      if (fs.fstatSync(this.appendFd).size !== end) return false
      fs.ftruncateSync(this.appendFd, to)
      return true
    } finally {
      unlock()
    }
  }

  private openFile(): boolean {
    try {
      this.fd = fs.openSync(this.path, 'r')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw error
    }
    this.ino = fs.fstatSync(this.fd).ino
    return true
  }

  private parse(bytes: Buffer, offset: number): CommitLine | null {
    let line: CommitLine
    try {
      line = JSON.parse(bytes.toString('utf8')) as CommitLine
    } catch {
      this.unreadable++
      return null
    }
    if (!Number.isInteger(line?.seq) || !Array.isArray(line.ops)) {
      this.unreadable++
      return null
    }
    if (line.seq === 0 && offset === 0) {
      // the first line: where event seqs go on from (a store migrated from the older layout had events already)
      this.position.eventSeq = Math.max(this.position.eventSeq, Number((line as { eventSeq?: number }).eventSeq) || 0)
      return null
    }
    if (line.seq <= this.position.seq) {
      this.voided++
      return null
    }
    if (line.seq > this.position.seq + 1) {
      throw new LockstepError(
        'CORRUPT_STATE',
        `${this.path} skips from commit ${this.position.seq} to ${line.seq} at byte ${offset}: a commit is missing. Run lockstep-mcp doctor to restore from a restore point.`,
        { file: this.path, offset, expected: this.position.seq + 1, found: line.seq },
      )
    }
    return line
  }
}

/** A commit the disk failed. `kept`: its line stays in the journal, written but maybe not durable. */
function diskError(dir: string, error: NodeJS.ErrnoException, kept = false): LockstepError {
  const code = error.code ?? 'EIO'
  const cause = code === 'ENOSPC' ? 'the disk is full' : code === 'EDQUOT' ? 'the disk quota is used up' : `the disk failed (${code})`
  if (kept) {
    return new LockstepError(
      'BUSY',
      `Could not make the change durable in ${dir}: ${cause}. Its journal line stays (another commit held the lock or followed it, and may build on it), so the change may have been kept. Free space or fix the disk, then read the current state and retry the call only if the change is not there.`,
      { folder: dir, cause: code, kept: 'unknown' },
    )
  }
  return new LockstepError('BUSY', `Could not write to ${dir}: ${cause}; nothing was written. Free space or fix the disk, then retry the call.`, {
    folder: dir,
    cause: code,
  })
}
