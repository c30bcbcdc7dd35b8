import fs from 'node:fs'
import { hostname } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import lockfile from 'proper-lockfile'
import { LockstepError } from '../lib/errors.js'
import { WaitQueue } from './wait-queue.js'
import { ChangeWatcher } from './watch.js'

export const LOCK_STALE_MS = 10_000
export const LOCK_UPDATE_MS = 2_000
const BREAK_STALE_MS = 5_000
const HOST = hostname()
const OWNER_FILE = 'owner.json'
// the head of a queue wakes as soon as the lock folder is removed, instead of sleeping out its backoff
const releases = new ChangeWatcher({ closeWhenIdle: true })

export interface LockOwner {
  pid: number
  host: string
  token: string
  acquiredAt: number
}

export interface HeldLock {
  readonly file: string
  readonly lockDir: string
  readonly token: string
  /** Set by proper-lockfile's update timer when another process took the lock over. */
  compromised: boolean
  /** True when the lock folder still carries this holder's token. */
  stillHeld(): Promise<boolean>
  release(): Promise<void>
}

// proper-lockfile removes a stale lock itself with rmdir; that path races with a second breaker, so removal
// is allowed only for locks this process is releasing. Breaking goes through breakLock() instead.
const releasing = new Set<string>()

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

// Synchronous under proper-lockfile's callback interface: a lock costs a few syscalls of microseconds each.
const guardedFs = {
  ...fs,
  mkdir: (path: string, callback: Callback) => sync(() => void fs.mkdirSync(path, 0o700), callback),
  stat: (path: string, callback: Callback<fs.Stats>) => sync(() => fs.statSync(path), callback),
  utimes: (path: string, atime: Date, mtime: Date, callback: Callback) => sync(() => fs.utimesSync(path, atime, mtime), callback),
  rmdir(path: string, callback: Callback) {
    if (!releasing.has(path)) {
      callback(Object.assign(new Error(`lock ${path} is held`), { code: 'ELOCKED' }))
      return
    }
    sync(() => removeLockDir(path), callback)
  },
  // proper-lockfile's exit handler removes the locks this process still holds
  rmdirSync(path: string) {
    removeLockDir(path)
  },
}

function removeLockDir(path: string): void {
  try {
    fs.unlinkSync(join(path, OWNER_FILE))
  } catch {
    // never signed, or already removed
  }
  try {
    fs.rmdirSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') fs.rmSync(path, { recursive: true, force: true })
  }
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
  const token = randomBytes(8).toString('hex')
  const queue = new WaitQueue(`${lockDir}.queue`, token)
  // no barging: the fast path is taken only when nobody is queued
  const first = queue.isEmpty() ? await tryLock(file, lockDir, token) : null
  if (first) return first
  queue.join()
  try {
    let delay = 2
    let lastHolder: string | null = null
    for (;;) {
      const isHead = queue.isHead()
      if (isHead) {
        const held = await tryLock(file, lockDir, token)
        if (held) return held
        const holder = await breakIfAbandoned(lockDir)
        if (holder === BROKEN) continue
        // back off exponentially only while the same holder keeps the lock
        delay = holder !== lastHolder ? 2 : Math.min(delay * 2, 50)
        lastHolder = holder
      }
      if (Date.now() >= deadlineMs) throw await busyError(file, lockDir)
      const wait = Math.min(Math.min(50, Math.max(2, delay * (0.5 + Math.random()))), Math.max(0, deadlineMs - Date.now()))
      // the head wakes when the lock folder goes; the others when someone ahead of them leaves the queue
      const lockName = basename(lockDir)
      if (isHead) await releases.wait(dirname(lockDir), wait, undefined, (name, event) => name === lockName && event === 'rename')
      else await releases.wait(queue.dir, 50, undefined, (name) => name === queue.ahead)
    }
  } finally {
    queue.leave()
  }
}

async function tryLock(file: string, lockDir: string, token: string): Promise<HeldLock | null> {
  const held: HeldLock = {
    file,
    lockDir,
    token,
    compromised: false,
    // the owner file this holder wrote, identified by inode and change time: a takeover removes it
    stillHeld: async () => {
      const stat = fs.statSync(join(lockDir, OWNER_FILE), { throwIfNoEntry: false, bigint: true })
      return stat !== undefined && stat.ino === signature?.ino && stat.ctimeNs === signature.ctimeNs
    },
    release: async () => {
      // a lock taken over as stale before the update timer noticed now belongs to its new holder: only stop
      // refreshing it, never remove it (an unsigned lock is one this call just failed to sign)
      const mine = signature === undefined || (await held.stillHeld())
      if (mine) releasing.add(lockDir)
      try {
        await release()
      } catch {
        // already gone or taken over: nothing left to release
      } finally {
        if (mine) releasing.delete(lockDir)
      }
    },
  }
  let release: () => Promise<void>
  let signature: fs.BigIntStats | undefined
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
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return null
    throw error
  }
  const owner: LockOwner = { pid: process.pid, host: HOST, token, acquiredAt: Date.now() }
  try {
    // proper-lockfile remembers the folder's mtime and treats any other mtime as a takeover; adding the owner
    // file changes it, so put it back
    const { atime, mtime } = fs.statSync(lockDir)
    const fd = fs.openSync(join(lockDir, OWNER_FILE), 'wx', 0o600)
    try {
      fs.writeSync(fd, JSON.stringify(owner))
      signature = fs.fstatSync(fd, { bigint: true })
    } finally {
      fs.closeSync(fd)
    }
    fs.utimesSync(lockDir, atime, mtime)
  } catch (error) {
    await held.release()
    throw error
  }
  return held
}

export async function readOwner(lockDir: string): Promise<LockOwner | null> {
  try {
    return JSON.parse(fs.readFileSync(join(lockDir, OWNER_FILE), 'utf8')) as LockOwner
  } catch {
    return null
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const BROKEN = Symbol('broken')

/**
 * Break an abandoned lock: its holder died on this host, or it went unrefreshed past `stale`. Breakers serialise
 * on `<lock>.break` and re-check under it that the folder still belongs to the holder they judged abandoned, so
 * two breakers never remove a lock a live process just took. Returns BROKEN, or the current holder's token.
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
  let owner: LockOwner | null = null
  try {
    owner = JSON.parse(fs.readFileSync(join(lockDir, OWNER_FILE), 'utf8')) as LockOwner
  } catch {
    // taken a moment ago and not yet signed, or unsigned: only staleness can free it
  }
  const token = owner?.token ?? null
  if (owner && owner.host === HOST && owner.pid !== process.pid && !isProcessAlive(owner.pid)) return { abandoned: true, token }
  return { abandoned: stat.mtimeMs < Date.now() - LOCK_STALE_MS, token }
}

async function busyError(file: string, lockDir: string): Promise<LockstepError> {
  const owner = await readOwner(lockDir)
  const heldFor = owner ? Math.round((Date.now() - owner.acquiredAt) / 1000) : undefined
  const holder = owner ? `process ${owner.pid} on ${owner.host}` : 'another process'
  return new LockstepError(
    'BUSY',
    `${file} is locked by ${holder}${heldFor === undefined ? '' : ` for ${heldFor}s`}; the store is under heavy contention, retry in a moment.`,
    { file, holder: owner ? { pid: owner.pid, host: owner.host } : null, heldForSec: heldFor ?? null },
  )
}
