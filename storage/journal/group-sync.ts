import fs from 'node:fs'

interface Waiter {
  /** Where its line starts. */
  start: number
  /** Whether its commit keeps the project lock until this line is durable (it is waiting here, the lock held). */
  locked: boolean
  resolve: () => void
  reject: (error: unknown) => void
}

/** Lines of this process awaiting one fdatasync: where the first starts, where the last ends. */
interface Batch {
  from: number
  /** Where the last run of lines with nothing of another process between them starts. */
  tail: number
  end: number
  waiters: Waiter[]
}

/**
 * The fdatasyncs of one journal's appends in this process, run off the event loop. A line is durable once an
 * fdatasync begun after it was written has completed; lines appended while one runs wait for the next, so commits
 * that come together share it, and the process serves other calls meanwhile. When one fails, its lines and those
 * appended after them fail too. `cut` takes back the last run of them if it can do so safely (journal.ts); the
 * commits whose lines stay are told that their change may have been kept.
 */
export class GroupSync {
  private next: Batch | null = null
  private running: Batch | null = null

  constructor(
    private readonly fd: () => number,
    private readonly failure: (error: NodeJS.ErrnoException, kept: boolean) => Error,
    private readonly onFailed: () => void,
    /** Cut the file back to `to` if it still ends at `end`; `locked` when a waiting commit holds the lock. */
    private readonly cut: (to: number, end: number, locked: boolean) => boolean,
  ) {}

  /**
   * The line at [start, end) was appended: resolves once it is durable. `locked`: its commit keeps the lock until
   * then. `inline`, when no fdatasync is pending: made here, synchronously (the caller has nothing to do meanwhile,
   * and a hand-off to a thread costs latency).
   */
  add(start: number, end: number, locked: boolean, inline = false): Promise<void> {
    if (inline && !this.running && !this.next) {
      const batch: Batch = { from: start, tail: start, end, waiters: [] }
      const promise = new Promise<void>((resolve, reject) => batch.waiters.push({ start, locked, resolve, reject }))
      try {
        fs.fdatasyncSync(this.fd())
        batch.waiters[0]!.resolve()
      } catch (error) {
        this.fail(batch, error as NodeJS.ErrnoException)
      }
      return promise
    }
    const next = this.next
    const promise = new Promise<void>((resolve, reject) => {
      if (next) {
        if (next.end !== start) next.tail = start
        next.end = end
        next.waiters.push({ start, locked, resolve, reject })
      } else {
        this.next = { from: start, tail: start, end, waiters: [{ start, locked, resolve, reject }] }
      }
    })
    if (!this.running) this.start()
    return promise
  }

  /** Make every line durable now, synchronously (the journal is closing). */
  drain(): void {
    const running = this.running
    const next = this.next
    if (!running && !next) return
    this.running = null
    this.next = null
    const batch = running && next ? merge(running, next) : (running ?? next)!
    try {
      fs.fdatasyncSync(this.fd())
    } catch (error) {
      return this.fail(batch, error as NodeJS.ErrnoException)
    }
    for (const waiter of batch.waiters) waiter.resolve()
  }

  private start(): void {
    const batch = this.next
    if (!batch) return
    this.next = null
    this.running = batch
    fs.fdatasync(this.fd(), (error) => {
      // drained meanwhile: already answered
      if (this.running !== batch) return
      this.running = null
      if (error) return this.fail(batch, error)
      for (const waiter of batch.waiters) waiter.resolve()
      this.start()
    })
  }

  private fail(batch: Batch, error: NodeJS.ErrnoException): void {
    // lines appended after the failed ones rest on them: they fail with them
    const failed = this.next ? merge(batch, this.next) : batch
    this.next = null
    // a commit waiting here with the lock held: nobody else is between a catch-up and an append
    const locked = failed.waiters.some((waiter) => waiter.locked)
    let cutFrom = Infinity
    try {
      if (this.cut(failed.tail, failed.end, locked)) cutFrom = failed.tail
    } catch {
      // the descriptor is gone: the lines stay, and the next reader reads what it finds
    }
    for (const waiter of failed.waiters) waiter.reject(this.failure(error, waiter.start < cutFrom))
    this.onFailed()
  }
}

function merge(first: Batch, second: Batch): Batch {
  return {
    from: first.from,
    tail: second.tail === second.from && first.end === second.from ? first.tail : second.tail,
    end: second.end,
    waiters: [...first.waiters, ...second.waiters],
  }
}
