import fs from 'node:fs'

/** Lines of this process awaiting one fdatasync: where the first starts, where the last starts and ends. */
interface Batch {
  from: number
  last: number
  end: number
  /** Whether the lines follow one another with nothing of another process between them. */
  contiguous: boolean
  waiters: { resolve: () => void; reject: (error: unknown) => void }[]
}

/**
 * The fdatasyncs of one journal's appends in this process, run off the event loop. A line is durable once an
 * fdatasync begun after it was written has completed; lines appended while one runs wait for the next, so commits
 * that come together share it, and the process serves other calls meanwhile. When one fails, its lines and those
 * appended after them fail too and are cut back while they are the file's last.
 */
export class GroupSync {
  private next: Batch | null = null
  private running: Batch | null = null

  constructor(
    private readonly fd: () => number,
    private readonly failure: (error: NodeJS.ErrnoException) => Error,
    private readonly onFailed: () => void,
  ) {}

  /**
   * The line at [start, end) was appended: resolves once it is durable. `inline`, when no fdatasync is pending: made
   * here, synchronously (the caller has nothing to do meanwhile, and a hand-off to a thread costs latency).
   */
  add(start: number, end: number, inline = false): Promise<void> {
    if (inline && !this.running && !this.next) {
      const batch: Batch = { from: start, last: start, end, contiguous: true, waiters: [] }
      const promise = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }))
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
        next.contiguous &&= next.end === start
        next.last = start
        next.end = end
        next.waiters.push({ resolve, reject })
      } else {
        this.next = { from: start, last: start, end, contiguous: true, waiters: [{ resolve, reject }] }
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
    try {
      const fd = this.fd()
      const size = fs.fstatSync(fd).size
      if (size <= failed.end) fs.ftruncateSync(fd, Math.min(size, failed.contiguous ? failed.from : failed.last))
    } catch {
      // the descriptor is gone: the next reader repairs what it finds
    }
    const reason = this.failure(error)
    for (const waiter of failed.waiters) waiter.reject(reason)
    this.onFailed()
  }
}

function merge(first: Batch, second: Batch): Batch {
  return {
    from: first.from,
    last: second.last,
    end: second.end,
    contiguous: first.contiguous && second.contiguous && first.end === second.from,
    waiters: [...first.waiters, ...second.waiters],
  }
}
