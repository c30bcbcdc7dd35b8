import fs from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'

export const OWNER_FILE = 'owner.json'
export const HOST = hostname()
// two containers, or two machines, can share a host name and a store: a pid means something only within one boot
// of one machine and one pid namespace
const RUNTIME = readRuntime()
const IS_WINDOWS = process.platform === 'win32'
const WINDOWS_BUSY = new Set(['EPERM', 'EACCES', 'EBUSY'])
const PARKED = /\.lock\.parked-(\d+)-[0-9a-f]+$/
const TOMB = /\.lock(\.break)?\.gone-[0-9a-f]+$/
const TOMB_KEPT_MS = 10_000

/** What a lock folder's owner file holds. When it was taken is the owner file's mtime. */
export interface LockOwner {
  pid: number
  host: string
  /** Boot and pid namespace (Linux): pids of another one say nothing of this one's. */
  runtime?: string
  token: string
}

/** Identifies one taking of a lock: the owner file's inode and change time, set anew each time it is taken. */
export interface Signature {
  readonly ino: bigint
  readonly ctimeNs: bigint
}

// the signed lock folders of this process, each kept beside its lock under its own name while the lock is free
const free = new Map<string, string[]>()
let exitHookInstalled = false

/**
 * Take the lock folder `lockDir` by renaming a parked folder of this process, owner file inside, onto its name.
 * rename() never replaces a folder that has entries, and no lock folder is ever without its owner file, so this is
 * as exclusive as mkdir(). It spares creating and deleting a folder and an owner file on every lock: the costliest
 * metadata operations of a transaction. Throws an EEXIST error while another holder has the lock.
 */
export function takeLockDir(lockDir: string): { parked: string; signature: Signature } {
  for (let attempt = 0; ; attempt++) {
    const parked = free.get(lockDir)?.pop() ?? park(lockDir)
    try {
      // a folder left empty by anything else is taken as held, as mkdir() would
      if (fs.existsSync(lockDir)) throw Object.assign(new Error(`${lockDir} exists`), { code: 'EEXIST' })
      const now = new Date()
      const ownerFile = join(parked, OWNER_FILE)
      fs.utimesSync(ownerFile, now, now)
      const { ino, ctimeNs } = fs.statSync(ownerFile, { bigint: true })
      // proper-lockfile judges staleness by the lock folder's mtime
      fs.utimesSync(parked, now, now)
      fs.renameSync(parked, lockDir)
      return { parked, signature: { ino, ctimeNs } }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? ''
      if (code === 'ENOENT' && !hasOwnerFile(parked)) {
        // removed from under this process, whole or in part (its folder was cleaned up): park a new one, once
        fs.rmSync(parked, { recursive: true, force: true })
        if (attempt === 0) continue
        throw error
      }
      giveBack(lockDir, parked)
      // Windows refuses to rename onto an existing folder
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || (WINDOWS_BUSY.has(code) && fs.existsSync(lockDir))) {
        throw Object.assign(new Error(`${lockDir} is held`), { code: 'EEXIST' })
      }
      // and refuses for a moment while a file in the folder is open (a scanner): the caller tries again later
      if (IS_WINDOWS && WINDOWS_BUSY.has(code)) throw Object.assign(new Error(`${parked} is busy`), { code: 'EBUSY' })
      throw error
    }
  }
}

/** Release: rename the lock folder back to its parked name, ready for the next taking, if it is still this one. */
export async function parkLockDir(lockDir: string, parked: string, signature: Signature): Promise<void> {
  const isMine = (dir: string) => carries(dir, signature)
  for (let delay = 2, waited = 0; ; delay = Math.min(delay * 2, 100)) {
    try {
      if (moveIfExpected(lockDir, parked, isMine)) giveBack(lockDir, parked)
      return
    } catch (error) {
      // on Windows a folder cannot be renamed while a file in it is open (a reader of its owner file): retry for
      // 1 s; past that the lock is left to go stale, since its refresh timer has stopped
      if (waited >= 1000) throw error
      await new Promise((resolve) => setTimeout(resolve, delay))
      waited += delay
    }
  }
}

/** Remove the lock folder at `lockDir` if it is the expected one, never leaving an empty folder under its name. */
export function removeLockDir(lockDir: string, isExpected: (dir: string) => boolean, canGoBack = hasOwnerFile): boolean {
  const tomb = `${lockDir}.gone-${randomBytes(4).toString('hex')}`
  let moved = false
  try {
    moved = moveIfExpected(lockDir, tomb, isExpected, canGoBack)
  } catch {
    // a Windows reader holds a file of it open: the caller tries again later
  }
  if (moved) fs.rmSync(tomb, { recursive: true, force: true })
  return moved
}

/**
 * Move the folder at `lockDir` to `to` if it is the expected one. Another process may take the lock between any
 * check and the move, so the folder is checked again once moved, and a wrong one goes straight back, unchanged (a
 * rename keeps the folder's mtime and its owner file's change time). True when the expected folder was moved.
 * Throws only Windows's transient refusals to rename a folder with an open file.
 */
function moveIfExpected(lockDir: string, to: string, isExpected: (dir: string) => boolean, canGoBack = hasOwnerFile): boolean {
  if (!isExpected(lockDir)) return false
  try {
    fs.renameSync(lockDir, to)
  } catch (error) {
    if (IS_WINDOWS && WINDOWS_BUSY.has((error as NodeJS.ErrnoException).code ?? '')) throw error
    return false // gone already
  }
  if (isExpected(to)) return true
  try {
    // a lock folder without its owner file is never put back: it would stand empty under the lock's name
    if (!canGoBack(to)) throw new Error('not a whole lock folder')
    fs.renameSync(to, lockDir)
  } catch {
    // the name was taken meanwhile: the folder's holder has lost its lock either way, and its fence will say so
    fs.rmSync(to, { recursive: true, force: true })
  }
  return false
}

function hasOwnerFile(dir: string): boolean {
  return fs.existsSync(join(dir, OWNER_FILE))
}

/** True when the lock folder at `dir` carries the owner file of this signature. */
export function carries(dir: string, signature: Signature | undefined): boolean {
  const stat = fs.statSync(join(dir, OWNER_FILE), { throwIfNoEntry: false, bigint: true })
  return stat !== undefined && signature !== undefined && stat.ino === signature.ino && stat.ctimeNs === signature.ctimeNs
}

/** The owner of a lock folder, with when it took the lock; null when it cannot be read. */
export function readOwner(lockDir: string): (LockOwner & { acquiredAt: number }) | null {
  const file = join(lockDir, OWNER_FILE)
  try {
    const owner = JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner
    return { ...owner, acquiredAt: fs.statSync(file).mtimeMs }
  } catch {
    return null
  }
}

/** True when `owner` is a process of this host that is gone. */
export function isDeadHere(owner: LockOwner): boolean {
  return owner.host === HOST && (owner.runtime ?? RUNTIME) === RUNTIME && owner.pid !== process.pid && !isProcessAlive(owner.pid)
}

/** Delete the parked folders of processes that died on this host, and tombs left by interrupted removals. */
export function sweepParkedLocks(dir: string, now = Date.now()): void {
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const parked = PARKED.exec(name)
    // a fresh tomb may still be checked by the breaker that made it
    if (TOMB.test(name) && (fs.statSync(join(dir, name), { throwIfNoEntry: false })?.ctimeMs ?? Infinity) < now - TOMB_KEPT_MS) {
      fs.rmSync(join(dir, name), { recursive: true, force: true })
    }
    if (!parked || Number(parked[1]) === process.pid || isProcessAlive(Number(parked[1]))) continue
    const owner = readOwner(join(dir, name))
    // an unreadable owner file may be one still being written, on another host: only an old one is left over
    const leftOver = owner === null ? (fs.statSync(join(dir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0) < now - 60_000 : isDeadHere(owner)
    if (leftOver) fs.rmSync(join(dir, name), { recursive: true, force: true })
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

function park(lockDir: string): string {
  const token = randomBytes(8).toString('hex')
  const path = `${lockDir}.parked-${process.pid}-${token}`
  fs.mkdirSync(path, 0o700)
  try {
    const owner: LockOwner = { pid: process.pid, host: HOST, ...(RUNTIME ? { runtime: RUNTIME } : {}), token }
    fs.writeFileSync(join(path, OWNER_FILE), JSON.stringify(owner), { mode: 0o600, flag: 'wx' })
  } catch (error) {
    fs.rmSync(path, { recursive: true, force: true })
    throw error
  }
  installExitHook()
  return path
}

function giveBack(lockDir: string, parked: string): void {
  let list = free.get(lockDir)
  if (!list) free.set(lockDir, (list = []))
  list.push(parked)
}

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const list of free.values()) for (const parked of list) fs.rmSync(parked, { recursive: true, force: true })
  })
}

function readRuntime(): string | undefined {
  if (process.platform !== 'linux') return undefined
  try {
    return `${fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()} ${fs.readlinkSync('/proc/self/ns/pid')}`
  } catch {
    return undefined
  }
}
