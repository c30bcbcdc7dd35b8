import fs from 'node:fs'
import { basename, join } from 'node:path'
import lockfile from 'proper-lockfile'
import { LockstepError } from '../lib/errors.js'
import { carries, isDeadHere, parkLockDir, readOwner, removeLockDir, takeLockDir, type Signature } from './parked-locks.js'
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

interface Taking {
  /** The parked folder now in place as the lock. */
  parked: string
  signature: Signature
}

// proper-lockfile removes a stale lock itself with rmdir; that path races with a second breaker, so removal is
// allowed only for locks this process is releasing (it parks them again). Breaking goes through breakIfAbandoned().
const releasing = new Map<string, Taking>()
// each lock folder this process holds: which parked folder it is, and how this taking signed it
const taken = new Map<string, Taking>()

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
    const taking = releasing.get(path)
    if (!taking) {
      callback(Object.assign(new Error(`lock ${path} is held`), { code: 'ELOCKED' }))
      return
    }
    releasing.delete(path)
    parkLockDir(path, taking.parked, taking.signature).then(() => callback(null), callback)
  },
  // proper-lockfile's exit handler removes the locks this process still holds
  rmdirSync(path: string) {
    const taking = taken.get(path)
    if (taking) removeLockDir(path, (dir) => carries(dir, taking.signature))
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
  if (first && first !== REFUSED) return first
  queue.join()
  try {
    let delay = 2
    let lastHolder: string | null = null
    for (;;) {
      const isHead = queue.isHead()
      if (isHead) {
        const held = await tryLock(file, lockDir)
        if (held === REFUSED) {
          // nobody holds it, but the system refused the rename for a moment: back off instead of spinning
          await new Promise((resolve) => setTimeout(resolve, delay))
          delay = Math.min(delay * 2, 50)
          continue
        }
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

// Windows refused to rename the parked folder for a moment (a scanner had its owner file open)
const REFUSED = Symbol('refused')

async function tryLock(file: string, lockDir: string): Promise<HeldLock | null | typeof REFUSED> {
  let mine: Taking | undefined
  const held: HeldLock = {
    file,
    lockDir,
    compromised: false,
    // a takeover moves this folder away, and each taking signs the owner file anew
    stillHeld: async () => mine !== undefined && taken.get(lockDir) === mine && carries(lockDir, mine.signature),
    release: async () => {
      // a lock taken over as stale before the update timer noticed now belongs to its new holder: only stop
      // refreshing it, never move it
      if (await held.stillHeld()) releasing.set(lockDir, mine!)
      try {
        await release()
      } catch {
        // already gone or taken over: nothing left to release
      } finally {
        // a lock proper-lockfile judged compromised is released without reaching rmdir: park it here if still ours
        if (releasing.get(lockDir) === mine) {
          releasing.delete(lockDir)
          await parkLockDir(lockDir, mine!.parked, mine!.signature).catch(() => undefined)
        }
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
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ELOCKED' || code === 'EEXIST') return null
    if (code === 'EBUSY') return REFUSED
    throw error
  }
  mine = taken.get(lockDir)
  return held
}

const BROKEN = Symbol('broken')

/**
 * Break an abandoned lock: its holder died on this host, or it went unrefreshed past `stale`. Breakers serialise
 * on `<lock>.break`, and the folder must still be the very taking judged abandoned, both before and after it is
 * moved aside, so no breaker ever removes a lock a live process just took. Returns BROKEN, or the current taking.
 */
async function breakIfAbandoned(lockDir: string): Promise<typeof BROKEN | string | null> {
  const verdict = abandonment(lockDir, true)
  if (!verdict.abandoned) return verdict.taking
  const breakDir = `${lockDir}.break`
  try {
    fs.mkdirSync(breakDir, 0o700)
  } catch {
    // a breaker that died mid-break left its folder: whoever moves it aside first removes it, if it is still old
    const isStale = (dir: string) => (fs.statSync(dir, { throwIfNoEntry: false })?.mtimeMs ?? Infinity) < Date.now() - BREAK_STALE_MS
    removeLockDir(breakDir, isStale, () => true)
    return verdict.taking
  }
  try {
    const stillAbandoned = (dir: string) => {
      const again = abandonment(dir, false)
      return again.abandoned && again.taking === verdict.taking
    }
    return removeLockDir(lockDir, stillAbandoned) ? BROKEN : abandonment(lockDir, false).taking
  } finally {
    fs.rmSync(breakDir, { recursive: true, force: true })
  }
}

// the owner of each lock folder last looked at, by the folder's inode and change time (a taking renames it)
const owners = new Map<string, { key: string; owner: ReturnType<typeof readOwner> }>()

/** Whether the lock folder at `dir` is abandoned, and which taking it is (token and time, or null if unsigned). */
function abandonment(dir: string, cached: boolean): { abandoned: boolean; taking: string | null } {
  const stat = fs.statSync(dir, { throwIfNoEntry: false })
  if (!stat) {
    owners.delete(dir)
    return { abandoned: false, taking: null }
  }
  const key = `${stat.ino}:${stat.ctimeMs}`
  let owner = cached && owners.get(dir)?.key === key ? owners.get(dir)!.owner : undefined
  if (owner === undefined) {
    owner = readOwner(dir)
    if (cached) owners.set(dir, { key, owner })
  }
  // an unreadable owner file (a foreign or damaged lock) leaves only staleness to free it
  const taking = owner ? `${owner.token}@${owner.acquiredAt}` : null
  return { abandoned: (owner !== null && isDeadHere(owner)) || stat.mtimeMs < Date.now() - LOCK_STALE_MS, taking }
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
