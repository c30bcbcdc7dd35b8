import { statSync, watch, type FSWatcher } from 'node:fs'
import { basename } from 'node:path'

const POLL_FALLBACK_MS = 500
const IDLE_CLOSE_MS = 1000

/** Wakes waiters on a change in a folder or file (fs.watch), with a 500 ms poll as the fallback where watching fails. */
export class ChangeWatcher {
  /**
   * With `closeWhenIdle`, a path is watched only while someone waits on it: an idle watch still wakes the process for
   * every change. With `missingIsChange`, waiting on a path that is already gone resolves at once.
   */
  constructor(private readonly options: { closeWhenIdle?: boolean; missingIsChange?: boolean } = {}) {}

  private readonly watchers = new Map<string, { watcher: FSWatcher | null; waiters: Set<(name?: string, event?: string) => void>; idle?: NodeJS.Timeout }>()

  /** Resolve on a change in `dir` (only one that `only` accepts, when given), after `maxWaitMs`, or on abort. */
  wait(dir: string, maxWaitMs: number, signal?: AbortSignal, only?: (name: string, event: string) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const entry = this.entry(dir)
      if (!entry) return resolve()
      clearTimeout(entry.idle)
      const done = (name?: string, event?: string) => {
        if (only && name !== undefined && event !== undefined && !only(name, event)) return
        clearTimeout(timer)
        entry.waiters.delete(done)
        signal?.removeEventListener('abort', abort)
        if (this.options.closeWhenIdle && entry.waiters.size === 0 && this.watchers.get(dir) === entry) {
          // kept a moment, so that a process waiting again and again (a busy lock) does not watch anew each time
          clearTimeout(entry.idle)
          entry.idle = setTimeout(() => {
            if (entry.waiters.size || this.watchers.get(dir) !== entry) return
            entry.watcher?.close()
            this.watchers.delete(dir)
          }, IDLE_CLOSE_MS).unref()
        }
        resolve()
      }
      // the poll also covers filesystems where fs.watch misses changes made by other processes
      const timer = setTimeout(done, Math.max(0, Math.min(maxWaitMs, POLL_FALLBACK_MS)))
      entry.waiters.add(done)
      const abort = () => done()
      signal?.addEventListener('abort', abort, { once: true })
      if (signal?.aborted) done()
    })
  }

  /** Wake every waiter on `dir` now (a commit in this process). */
  notify(dir: string): void {
    for (const waiter of [...(this.watchers.get(dir)?.waiters ?? [])]) waiter()
  }

  close(): void {
    for (const entry of this.watchers.values()) {
      clearTimeout(entry.idle)
      entry.watcher?.close()
    }
    this.watchers.clear()
  }

  private forget(dir: string, watcher: FSWatcher | null): void {
    watcher?.close()
    if (this.watchers.get(dir)?.watcher === watcher) this.watchers.delete(dir)
  }

  private entry(dir: string) {
    let entry = this.watchers.get(dir)
    if (entry?.watcher === null) {
      this.watchers.delete(dir)
      entry = undefined
    }
    if (!entry) {
      const waiters = new Set<(name?: string, event?: string) => void>()
      let watcher: FSWatcher | null = null
      try {
        watcher = watch(dir, { persistent: false }, (event, name) => {
          // inotify reports a change of a watched folder's own attributes (a utimes) as a rename of it
          const self = this.options.missingIsChange && event === 'rename' && name === basename(dir)
          if (self && watched !== undefined && statSync(dir, { throwIfNoEntry: false })?.ino === watched) event = 'change'
          for (const waiter of [...waiters]) waiter(name ?? undefined, event)
          // the watch follows the moved or deleted path itself: later waiters need a watch on what is there now
          if (self && event === 'rename') this.forget(dir, watcher)
        })
        const watched = this.options.missingIsChange ? statSync(dir, { throwIfNoEntry: false })?.ino : undefined
        watcher.on('error', () => {
          watcher?.close()
          const current = this.watchers.get(dir)
          if (current) current.watcher = null
        })
      } catch (error) {
        if (this.options.missingIsChange && (error as NodeJS.ErrnoException).code === 'ENOENT') return null
        watcher = null
      }
      entry = { watcher, waiters }
      this.watchers.set(dir, entry)
    }
    return entry
  }
}
