const tails = new Map<string, Promise<unknown>>()
const waiting = new Map<string, number>()

/**
 * Run `task` after every earlier task queued under `key` in this process has finished (FIFO). The project lock is not
 * re-entrant: without this queue a process would wait on the lock it holds itself.
 */
export function enqueue<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve()
  waiting.set(key, (waiting.get(key) ?? 0) + 1)
  const start = () => {
    const left = waiting.get(key)! - 1
    if (left) waiting.set(key, left)
    else waiting.delete(key)
    return task()
  }
  const run = previous.then(start, start)
  const settled = run.then(
    () => undefined,
    () => undefined,
  )
  tails.set(key, settled)
  void settled.then(() => {
    if (tails.get(key) === settled) tails.delete(key)
  })
  return run
}

/** How many tasks queued under `key` have not started yet. */
export function queuedBehind(key: string): number {
  return waiting.get(key) ?? 0
}
