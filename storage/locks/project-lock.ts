import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { LockstepError } from '../../lib/errors.js'
import { MACHINE, processExists, processStartTime } from '../host.js'
import { ChangeWatcher } from '../watch.js'

// One lock per project, `journal.lock`: a hard link to this process's owner file (`journal.lock.<token>.owner`, written
// once per process: `<pid> <start time> <machine> <token>`). link() is one syscall that never replaces, so a lock never
// exists without its owner, and it allocates no inode: with a new inode per commit (a symbolic link, a directory, a
// file created exclusively) ext4's search of its inode bitmaps was most of the lock's CPU with 8 processes committing.
// A lock left by an older version is a symbolic link whose target is the owner; it is read as such. Windows uses a file
// created exclusively.
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
/** Per lock path, this process's owner file and its inode. */
const owners = new Map<string, { file: string; ino: number }>()
let exitHook = false
let ownText: string | undefined

/** Take the lock at `path`, waiting with backoff until `deadlineMs`; throws BUSY then. */
export async function acquireLock(path: string, deadlineMs: number): Promise<() => void> {
  const text = ownerText()
  for (let delay = 1; ; delay = Math.min(delay * 2, 8)) {
    // look before trying: a failed create takes the folder's write lock (others spin on it), a look does not
    let seen = statLock(path)
    if (!seen && create(path, text)) {
      held.add(path)
      return () => release(path, text)
    }
    seen ??= statLock(path)
    if (!seen) continue
    if (Date.now() - seen.changedMs >= LIVENESS_AFTER_MS) {
      const current = readLock(path)
      if (current && isAbandoned(current)) {
        breakLock(path, current.text, text)
        continue
      }
    }
    if (Date.now() >= deadlineMs) throw busy(path, readLock(path))
    const name = basename(path)
    await releases.wait(dirname(path), Math.min(WAKE_FALLBACK_MS, delay * 4), undefined, (changed) => changed === name)
  }
}

/**
 * Take the lock at `path` now, synchronously, only if nobody holds it: neither another process nor a transaction of
 * this one. One try; it never waits and never breaks a lock, even an abandoned one. Returns the release, or null.
 */
export function tryLock(path: string): (() => void) | null {
  if (held.has(path)) return null
  const text = ownerText()
  try {
    if (statLock(path) || !create(path, text)) return null
  } catch {
    // the folder cannot be written: not taken
    return null
  }
  held.add(path)
  return () => release(path, text)
}

/** This process's owner line. One owner per process: it takes each lock only after releasing it (its transactions queue). */
function ownerText(): string {
  installExitHook()
  return (ownText ??= [process.pid, processStartTime(process.pid) ?? '-', MACHINE, randomBytes(4).toString('hex')].join(' '))
}

/** The current owner of the lock at `path` and its age; null when nobody holds it. */
export function readLock(path: string): { owner: LockOwner | null; text: string; ageMs: number } | null {
  const seen = statLock(path)
  const text = seen && readTarget(path)
  if (!seen || text === null) return null
  // an unreadable owner leaves only its age to free it
  const [pid, st, machine, t] = text.split(' ')
  const owner = Number.isInteger(Number(pid)) && machine && t ? { pid: Number(pid), st, machine, t } : null
  return { owner, text, ageMs: Date.now() - seen.changedMs }
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

/** When the lock at `path` was taken (a link changes its inode's ctime) and its inode; null when nobody holds it. */
function statLock(path: string): { changedMs: number; ino: number } | null {
  const stat = fs.lstatSync(path, { throwIfNoEntry: false })
  return stat ? { changedMs: IS_WINDOWS ? stat.mtimeMs : stat.ctimeMs, ino: stat.ino } : null
}

// folders on filesystems without hard links (FAT, some network mounts): their locks are files created exclusively
const unlinkable = new Set<string>()
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'])

function create(path: string, text: string, lockPath = path): boolean {
  const plain = IS_WINDOWS || unlinkable.has(dirname(path))
  try {
    if (plain) fs.writeFileSync(path, text, { flag: 'wx', mode: 0o600 })
    else fs.linkSync(ownerFile(lockPath, text).file, path)
    return true
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? ''
    if (code === 'EEXIST') return false
    // the owner file was removed (a cleanup): write it again
    if (!plain && code === 'ENOENT' && owners.delete(lockPath)) return create(path, text, lockPath)
    if (!plain && NO_LINKS.has(code)) {
      unlinkable.add(dirname(path))
      return create(path, text, lockPath)
    }
    throw error
  }
}

/** This process's owner file beside the lock at `path`, written on first use; owner files of dead processes go. */
function ownerFile(path: string, text: string): { file: string; ino: number } {
  let own = owners.get(path)
  if (own) return own
  removeDeadOwners(path)
  const file = `${path}.${text.split(' ')[3]}.owner`
  fs.writeFileSync(file, text, { mode: 0o600 })
  own = { file, ino: fs.statSync(file).ino }
  owners.set(path, own)
  return own
}

function removeDeadOwners(path: string): void {
  const prefix = `${basename(path)}.`
  let names: string[]
  try {
    names = fs.readdirSync(dirname(path)).filter((name) => name.startsWith(prefix) && name.endsWith('.owner'))
  } catch {
    return
  }
  for (const name of names) {
    const file = join(dirname(path), name)
    const [pid, st, machine, t] = (readTarget(file) ?? '').split(' ')
    if (t && isAliveHere({ pid: Number(pid), st, machine, t }) === false) fs.rmSync(file, { force: true })
  }
}

function release(path: string, text: string): void {
  held.delete(path)
  // a lock broken while this process stalled belongs to its new holder now
  if (isMine(path, text)) unlink(path)
}

function isMine(path: string, text: string): boolean {
  if (IS_WINDOWS || unlinkable.has(dirname(path))) return readTarget(path) === text
  const own = owners.get(path)
  return own !== undefined && statLock(path)?.ino === own.ino
}

function unlink(path: string): void {
  try {
    fs.unlinkSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

/** The owner text of a lock: the content of the file it links to, or the target of an older version's symbolic link. */
function readTarget(path: string): string | null {
  try {
    return fs.readFileSync(path, 'utf8')
  } catch {
    if (IS_WINDOWS) return null
    try {
      return fs.readlinkSync(path)
    } catch {
      return null
    }
  }
}

/** Breakers take turns on `<lock>.break`, and remove the lock only if it is still the one judged abandoned. */
function breakLock(path: string, judged: string, text: string): void {
  const breakPath = `${path}.break`
  if (!create(breakPath, text, path)) {
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
    for (const path of held) if (ownText && isMine(path, ownText)) fs.rmSync(path, { force: true })
    for (const own of owners.values()) fs.rmSync(own.file, { force: true })
  })
}
