import fs from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'

export const OWNER_FILE = 'owner.json'
export const HOST = hostname()
const PARKED = /\.lock\.parked-(\d+)-[0-9a-f]+$/
const TOMB = /\.lock\.(dead|gone)-[0-9a-f]+$/

/** What a lock folder's owner file holds. When it was taken is the owner file's mtime. */
export interface LockOwner {
  pid: number
  host: string
  token: string
}

/** A signed lock folder of this process, kept beside the lock under its own name while the lock is free. */
export interface ParkedLock {
  readonly path: string
  readonly token: string
}

/** Identifies one taking of a lock: the owner file's inode and change time, set anew each time it is taken. */
export interface Signature {
  readonly ino: bigint
  readonly ctimeNs: bigint
}

const free = new Map<string, ParkedLock[]>()
let exitHookInstalled = false

/**
 * Take the lock folder `lockDir` by renaming a parked folder of this process, owner file inside, onto its name.
 * rename() never replaces a folder that has entries, and no lock folder is ever without its owner file, so this is
 * as exclusive as mkdir(). It spares creating and deleting a folder and an owner file on every lock: the costliest
 * metadata operations of a transaction. Throws an EEXIST error while another holder has the lock.
 */
export function takeLockDir(lockDir: string): { parked: ParkedLock; signature: Signature } {
  for (let attempt = 0; ; attempt++) {
    const parked = free.get(lockDir)?.pop() ?? park(lockDir)
    try {
      // a folder left empty by anything else is taken as held, as mkdir() would
      if (fs.existsSync(lockDir)) throw Object.assign(new Error(`${lockDir} exists`), { code: 'EEXIST' })
      const now = new Date()
      const ownerFile = join(parked.path, OWNER_FILE)
      fs.utimesSync(ownerFile, now, now)
      const { ino, ctimeNs } = fs.statSync(ownerFile, { bigint: true })
      // proper-lockfile judges staleness by the lock folder's mtime
      fs.utimesSync(parked.path, now, now)
      fs.renameSync(parked.path, lockDir)
      return { parked, signature: { ino, ctimeNs } }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? ''
      if (code === 'ENOENT' && !fs.existsSync(parked.path)) {
        // removed from under this process (its folder was cleaned up): park a new one, once
        if (attempt === 0) continue
        throw error
      }
      giveBack(lockDir, parked)
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || ((code === 'EPERM' || code === 'EACCES') && fs.existsSync(lockDir))) {
        throw Object.assign(new Error(`${lockDir} is held`), { code: 'EEXIST' })
      }
      throw error
    }
  }
}

/** Release: rename the lock folder back to its parked name, ready for the next taking. */
export function parkLockDir(lockDir: string, parked: ParkedLock): void {
  try {
    fs.renameSync(lockDir, parked.path)
    giveBack(lockDir, parked)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') removeLockDir(lockDir)
  }
}

/** Remove a lock folder without ever leaving an empty one under its name: move it aside, then delete it. */
export function removeLockDir(lockDir: string): void {
  const tomb = `${lockDir}.gone-${randomBytes(4).toString('hex')}`
  try {
    fs.renameSync(lockDir, tomb)
  } catch {
    return // already gone
  }
  fs.rmSync(tomb, { recursive: true, force: true })
}

/** True when the lock folder at `lockDir` is the one this signature took. */
export function carries(lockDir: string, signature: Signature | undefined): boolean {
  const stat = fs.statSync(join(lockDir, OWNER_FILE), { throwIfNoEntry: false, bigint: true })
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

/** Delete the parked folders of processes that died on this host, and tombs left by interrupted removals. */
export function sweepParkedLocks(dir: string): void {
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const parked = PARKED.exec(name)
    if (TOMB.test(name)) fs.rmSync(join(dir, name), { recursive: true, force: true })
    if (!parked || Number(parked[1]) === process.pid || isProcessAlive(Number(parked[1]))) continue
    const owner = readOwner(join(dir, name))
    if (owner === null || owner.host === HOST) fs.rmSync(join(dir, name), { recursive: true, force: true })
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

function park(lockDir: string): ParkedLock {
  const token = randomBytes(8).toString('hex')
  const path = `${lockDir}.parked-${process.pid}-${token}`
  fs.mkdirSync(path, 0o700)
  try {
    const owner: LockOwner = { pid: process.pid, host: HOST, token }
    fs.writeFileSync(join(path, OWNER_FILE), JSON.stringify(owner), { mode: 0o600, flag: 'wx' })
  } catch (error) {
    fs.rmSync(path, { recursive: true, force: true })
    throw error
  }
  installExitHook()
  return { path, token }
}

function giveBack(lockDir: string, parked: ParkedLock): void {
  let list = free.get(lockDir)
  if (!list) free.set(lockDir, (list = []))
  list.push(parked)
}

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const list of free.values()) for (const parked of list) fs.rmSync(parked.path, { recursive: true, force: true })
  })
}
