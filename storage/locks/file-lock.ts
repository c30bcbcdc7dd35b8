import lockfile from 'proper-lockfile'
import { LockstepError } from '../../lib/errors.js'

// Locks for slow work outside the store (git writes, the checked-in snapshot): proper-lockfile's folder, refreshed
// every 2 s while held, so that a long git operation keeps it, and taken over once unrefreshed for 10 s.

const STALE_MS = 10_000
const UPDATE_MS = 2_000

export interface HeldLock {
  release(): Promise<void>
}

/** Take `<file>.lock`, retrying with backoff until `deadlineMs`; BUSY then. */
export async function acquireFileLock(file: string, deadlineMs: number): Promise<HeldLock> {
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      const release = await lockfile.lock(file, {
        lockfilePath: `${file}.lock`,
        realpath: false,
        stale: STALE_MS,
        update: UPDATE_MS,
        retries: 0,
        // the default throws from a timer and ends the process: a lost lock only shows at release
        onCompromised: () => undefined,
      })
      return { release: () => release().catch(() => undefined) }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error
    }
    if (Date.now() >= deadlineMs) {
      throw new LockstepError('BUSY', `${file}.lock is held by another process; retry in a moment.`, { file: `${file}.lock` })
    }
    await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())))
  }
}
