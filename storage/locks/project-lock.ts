import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { basename, dirname } from 'node:path'
import { LockstepError } from '../../lib/errors.js'
import { MACHINE, processExists, processStartTime } from '../host.js'
import { ChangeWatcher } from '../watch.js'

// One lock per project, a symbolic link whose target is its owner: created and read in one syscall each, so a lock
// never exists without its owner (Windows, where links need a privilege, uses a file created exclusively). The owner
// is written short, `<pid> <start time> <machine> <token>`, so that the target fits in the link's inode: a longer one
// makes the filesystem allocate and free a data block on every commit (measured: an unlink of 0.13 ms against 0.01).
//
// - A holder that is alive on this machine is never broken, however long it stalls: others wait, then get BUSY.
// - A holder that is dead on this machine is broken at once; one on another machine (or one that cannot be read)
//   after LOCK_STALE_MS. Breaking cannot make two commits count: the journal's seq chain fences them (journal.ts).

export const LOCK_STALE_MS = 10_000
const BREAK_STALE_MS = 5_000
const LIVENESS_AFTER_MS = 100
const IS_WINDOWS = process.platform === 'win32'

export interface LockOwner {
  pid: number
  /** The process's start time ('-' where unknown), so a reused pid is not taken for the holder. */
  st: string
  /** Hash of the host name, boot and pid namespace. */
  machine: string
  t: string
}

// waiters wake when the lock's name comes or goes in its folder, instead of sleeping out a backoff; the timeout only
// covers a missed event
const releases = new ChangeWatcher({ closeWhenIdle: true })
const WAKE_FALLBACK_MS = 20
const held = new Set<string>()
let exitHook = false
let ownText: string | undefined

/** Take the lock at `path`, waiting with backoff until `deadlineMs`; throws BUSY then. */
export async function acquireLock(path: string, deadlineMs: number): Promise<() => void> {
  // one owner per process: this process takes each lock only after releasing it (its transactions queue)
  const text = (ownText ??= [process.pid, processStartTime(process.pid) ?? '-', MACHINE, randomBytes(4).toString('hex')].join(' '))
  for (let delay = 1; ; delay = Math.min(delay * 2, 8)) {
    if (create(path, text)) {
      held.add(path)
      installExitHook()
      return () => release(path, text)
    }
    const current = readLock(path)
    if (current && isAbandoned(current)) {
      breakLock(path, current.text, text)
      continue
    }
    if (Date.now() >= deadlineMs) throw busy(path, current)
    if (current === null) continue
    const name = basename(path)
    await releases.wait(dirname(path), Math.min(WAKE_FALLBACK_MS, delay * 4), undefined, (changed) => changed === name)
  }
}

/** The current owner of the lock at `path` and its age; null when nobody holds it. */
export function readLock(path: string): { owner: LockOwner | null; text: string; ageMs: number } | null {
  let text: string
  let mtimeMs: number
  try {
    text = IS_WINDOWS ? fs.readFileSync(path, 'utf8') : fs.readlinkSync(path)
    mtimeMs = fs.lstatSync(path).mtimeMs
  } catch {
    return null
  }
  // an unreadable owner leaves only its age to free it
  const [pid, st, machine, t] = text.split(' ')
  const owner = Number.isInteger(Number(pid)) && machine && t ? { pid: Number(pid), st, machine, t } : null
  return { owner, text, ageMs: Date.now() - mtimeMs }
}

/** Whether a process of this machine (same boot and pid namespace) is alive and is the one that recorded `owner`. */
export function isAliveHere(owner: LockOwner): boolean | null {
  if (owner.machine !== MACHINE) return null
  if (owner.pid === process.pid) return true
  if (!processExists(owner.pid)) return false
  const start = processStartTime(owner.pid)
  return owner.st === '-' || start === undefined || start === owner.st
}

function isAbandoned(lock: { owner: LockOwner | null; ageMs: number }): boolean {
  if (lock.ageMs < LIVENESS_AFTER_MS) return false
  const alive = lock.owner ? isAliveHere(lock.owner) : null
  return alive === null ? lock.ageMs > LOCK_STALE_MS : !alive
}

function create(path: string, text: string): boolean {
  try {
    if (IS_WINDOWS) fs.writeFileSync(path, text, { flag: 'wx', mode: 0o600 })
    else fs.symlinkSync(text, path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
}

function release(path: string, text: string): void {
  held.delete(path)
  // a lock broken while this process stalled belongs to its new holder now
  if (readTarget(path) === text) unlink(path)
}

function unlink(path: string): void {
  try {
    fs.unlinkSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

function readTarget(path: string): string | null {
  try {
    return IS_WINDOWS ? fs.readFileSync(path, 'utf8') : fs.readlinkSync(path)
  } catch {
    return null
  }
}

/** Breakers take turns on `<lock>.break`, and remove the lock only if it is still the one judged abandoned. */
function breakLock(path: string, judged: string, text: string): void {
  const breakPath = `${path}.break`
  if (!create(breakPath, text)) {
    const other = readLock(breakPath)
    if (other && (other.ageMs > BREAK_STALE_MS || (other.owner && isAliveHere(other.owner) === false))) fs.rmSync(breakPath, { force: true })
    return
  }
  try {
    if (readLock(path)?.text === judged) fs.rmSync(path, { force: true })
  } finally {
    fs.rmSync(breakPath, { force: true })
  }
}

function busy(path: string, lock: ReturnType<typeof readLock>): LockstepError {
  const holder = lock?.owner ? describeOwner(lock.owner) : 'another process'
  const seconds = lock ? Math.round(lock.ageMs / 1000) : 0
  return new LockstepError('BUSY', `The store at ${path.replace(/[/\\][^/\\]*$/, '')} is locked by ${holder} for ${seconds}s (a stalled or busy process); nothing was written. Retry in a moment.`, {
    file: path,
    holder: lock?.owner ? { pid: lock.owner.pid, thisMachine: lock.owner.machine === MACHINE } : null,
    heldForSec: seconds,
  })
}

/** `process 123 on this machine`, or on another one. */
export function describeOwner(owner: LockOwner): string {
  return `process ${owner.pid} on ${owner.machine === MACHINE ? 'this machine' : 'another machine'}`
}

function installExitHook(): void {
  if (exitHook) return
  exitHook = true
  process.once('exit', () => {
    for (const path of held) {
      const lock = readLock(path)
      if (lock?.owner?.pid === process.pid && lock.owner.machine === MACHINE) fs.rmSync(path, { force: true })
    }
  })
}
