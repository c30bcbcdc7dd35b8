import fs from 'node:fs'
import { basename, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import lockfile from 'proper-lockfile'
import { LockstepError } from '../lib/errors.js'
import { carries, HOST, isProcessAlive, parkLockDir, readOwner, removeLockDir, takeLockDir, type ParkedLock, type Signature } from './parked-locks.js'
import { WaitQueue } from './wait-queue.js'
import { ChangeWatcher } from './watch.js'

export { readOwner, sweepParkedLocks, type LockOwner } from './parked-locks.js'

export const LOCK_STALE_MS = 10_000
export const LOCK_UPDATE_MS = 2_000
const BREAK_STALE_MS = 5_000
// the head of a queue wakes as soon as the lock folder is moved away, instead of sleeping out its backoff; each waiter
// watches only the one path it waits for, so a busy project folder does not wake every waiting process
const releases = new ChangeWatcher({ closeWhenIdle: true, missingIsChange: true })

export interface HeldLock {
  readonly file: string
  readonly lockDir: string
  /** Set by proper-lockfile's update timer when another process took the lock over. */
  compromised: boolean
  /** True when the lock folder is still the one this holder took. */
  stillHeld(): Promise<boolean>
  release(): Promise<void>
}

// proper-lockfile removes a stale lock itself with rmdir; that path races with a second breaker, so removal is
// allowed only for locks this process is releasing (it parks them again). Breaking goes through breakIfAbandoned().
const releasing = new Map<string, ParkedLock>()
// the parked folder each lock folder this process holds came from, from its taking until its release
const taken = new Map<string, { parked: ParkedLock; signature: Signature }>()

type Callback<T = void> = (error: NodeJS.ErrnoException | null, value?: T) => void
function sync<T>(fn: () => T, callback: Callback<T>): void {
  let value: T
  try {
    value = fn()
  } catch (error) {
    callback(error as NodeJS.ErrnoException)
    return
  }
  callback(null, value)
}

// Synchronous under proper-lockfile's callback interface: a lock costs a few syscalls of microseconds each. Its
// mkdir and rmdir take and park a signed folder (parked-locks.ts).
const guardedFs = {
  ...fs,
  mkdir: (path: string, callback: Callback) => sync(() => void taken.set(path, takeLockDir(path)), callback),
  stat: (path: string, callback: Callback<fs.Stats>) => sync(() => fs.statSync(path), callback),
  utimes: (path: string, atime: Date, mtime: Date, callback: Callback) => sync(() => fs.utimesSync(path, atime, mtime), callback),
  rmdir(path: string, callback: Callback) {
    const parked = releasing.get(path)
    if (!parked) {
      callback(Object.assign(new Error(`lock ${path} is held`), { code: 'ELOCKED' }))
      return
    }
    sync(() => parkLockDir(path, parked), callback)
  },
  // proper-lockfile's exit handler removes the locks this process still holds
  rmdirSync(path: string) {
    if (carries(path, taken.get(path)?.signature)) removeLockDir(path)
  },
}

export function lockDirFor(file: string): string {
  return `${file}.lock`
}

/**
 * Take the lock of `file`, retrying with randomised backoff (2–50 ms) until `deadlineMs`.
 * A holder that is provably dead on this host is broken at once; otherwise a lock unrefreshed for 10 s is stale.
 */
export async function acquireFileLock(file: string, deadlineMs: number): Promise<HeldLock> {
  const lockDir = lockDirFor(file)
  const queue = new WaitQueue(`${lockDir}.queue`)
  // no barging: the fast path is taken only when nobody is queued
  const first = queue.isEmpty() ? await tryLock(file, lockDir) : null
  if (first) return first
  queue.join()
  try {
    let delay = 2
    let lastHolder: string | null = null
    for (;;) {
      const isHead = queue.isHead()
      if (isHead) {
        const held = await tryLock(file, lockDir)
        if (held) return held
        const holder = await breakIfAbandoned(lockDir)
        if (holder === BROKEN) continue
        // back off exponentially only while the same holder keeps the lock
        delay = holder !== lastHolder ? 2 : Math.min(delay * 2, 50)
        lastHolder = holder
      }
      if (Date.now() >= deadlineMs) throw await busyError(file, lockDir)
      const wait = Math.min(Math.min(50, Math.max(2, delay * (0.5 + Math.random()))), Math.max(0, deadlineMs - Date.now()))
      // the head wakes when the lock folder goes; the others when the entry just ahead of them leaves the queue
      const lockName = basename(lockDir)
      if (isHead) await releases.wait(lockDir, wait, undefined, (name, event) => name === lockName && event === 'rename')
      else await releases.wait(join(queue.dir, queue.ahead!), 50, undefined, (name, event) => name === queue.ahead && event === 'rename')
    }
  } finally {
    queue.leave()
  }
}

async function tryLock(file: string, lockDir: string): Promise<HeldLock | null> {
  let mine: { parked: ParkedLock; signature: Signature } | undefined
  const held: HeldLock = {
    file,
    lockDir,
    compromised: false,
    // a takeover moves this folder away, and each taking signs the owner file anew
    stillHeld: async () => carries(lockDir, mine?.signature),
    release: async () => {
      // a lock taken over as stale before the update timer noticed now belongs to its new holder: only stop
      // refreshing it, never move it
      if (mine && (await held.stillHeld())) releasing.set(lockDir, mine.parked)
      try {
        await release()
      } catch {
        // already gone or taken over: nothing left to release
      } finally {
        releasing.delete(lockDir)
        if (taken.get(lockDir) === mine) taken.delete(lockDir)
      }
    },
  }
  let release: () => Promise<void>
  try {
    release = await lockfile.lock(file, {
      lockfilePath: lockDir,
      realpath: false,
      stale: LOCK_STALE_MS,
      update: LOCK_UPDATE_MS,
      retries: 0,
      fs: guardedFs,
      onCompromised: () => {
        held.compromised = true
      },
    })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED' || (error as NodeJS.ErrnoException).code === 'EEXIST') return null
    throw error
  }
  mine = taken.get(lockDir)
  return held
}

const BROKEN = Symbol('broken')

/**
 * Break an abandoned lock: its holder died on this host, or it went unrefreshed past `stale`. Breakers serialise
 * on `<lock>.break` and re-check under it that the folder still belongs to the holder they judged abandoned, so
 * two breakers never remove a lock a live process just took. Returns BROKEN, or the current taking's identity.
 */
async function breakIfAbandoned(lockDir: string): Promise<typeof BROKEN | string | null> {
  const verdict = abandonment(lockDir)
  if (!verdict.abandoned) return verdict.token
  const breakDir = `${lockDir}.break`
  try {
    fs.mkdirSync(breakDir, 0o700)
  } catch {
    try {
      if (fs.statSync(breakDir).mtimeMs < Date.now() - BREAK_STALE_MS) fs.rmSync(breakDir, { recursive: true, force: true })
    } catch {
      // removed by its owner meanwhile
    }
    return verdict.token
  }
  try {
    const again = abandonment(lockDir)
    if (!again.abandoned || again.token !== verdict.token) return again.token
    const tomb = `${lockDir}.dead-${randomBytes(4).toString('hex')}`
    fs.renameSync(lockDir, tomb)
    fs.rmSync(tomb, { recursive: true, force: true })
    return BROKEN
  } catch {
    return verdict.token
  } finally {
    fs.rmSync(breakDir, { recursive: true, force: true })
  }
}

function abandonment(lockDir: string): { abandoned: boolean; token: string | null } {
  const stat = fs.statSync(lockDir, { throwIfNoEntry: false })
  if (!stat) return { abandoned: false, token: null }
  // an unreadable owner file (a foreign or damaged lock) leaves only staleness to free it
  const owner = readOwner(lockDir)
  // one taking of the lock: the same parked folder is taken again and again, each time with a new owner-file mtime
  const token = owner ? `${owner.token}@${owner.acquiredAt}` : null
  if (owner && owner.host === HOST && owner.pid !== process.pid && !isProcessAlive(owner.pid)) return { abandoned: true, token }
  return { abandoned: stat.mtimeMs < Date.now() - LOCK_STALE_MS, token }
}

async function busyError(file: string, lockDir: string): Promise<LockstepError> {
  const owner = readOwner(lockDir)
  const heldFor = owner ? Math.round((Date.now() - owner.acquiredAt) / 1000) : undefined
  const holder = owner ? `process ${owner.pid} on ${owner.host}` : 'another process'
  return new LockstepError(
    'BUSY',
    `${file} is locked by ${holder}${heldFor === undefined ? '' : ` for ${heldFor}s`}; the store is under heavy contention, retry in a moment.`,
    { file, holder: owner ? { pid: owner.pid, host: owner.host } : null, heldForSec: heldFor ?? null },
  )
}
