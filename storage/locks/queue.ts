const tails = new Map<string, Promise<unknown>>()

/**
 * Run `task` after every earlier task queued under `key` in this process has finished (FIFO). The project lock is not
 * re-entrant: without this queue a process would wait on the lock it holds itself.
 */
export function enqueue<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve()
  const run = previous.then(task, task)
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
