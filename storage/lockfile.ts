import fs, { promises as fsp } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import lockfile from 'proper-lockfile'
import { LockstepError } from '../lib/errors.js'

export const LOCK_STALE_MS = 10_000
export const LOCK_UPDATE_MS = 2_000
const BREAK_STALE_MS = 5_000
const HOST = hostname()

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
const guardedFs = {
  ...fs,
  rmdir(path: string, callback: (error: NodeJS.ErrnoException | null) => void) {
    if (!releasing.has(path)) {
      callback(Object.assign(new Error(`lock ${path} is held`), { code: 'ELOCKED' }))
      return
    }
    fs.rm(path, { recursive: true, force: true }, callback)
  },
  // proper-lockfile's exit handler removes the locks this process still holds
  rmdirSync(path: string) {
    fs.rmSync(path, { recursive: true, force: true })
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
  const token = randomBytes(8).toString('hex')
  let delay = 2
  for (;;) {
    const held = await tryLock(file, lockDir, token)
    if (held) return held
    if (await breakIfAbandoned(lockDir)) continue
    if (Date.now() >= deadlineMs) throw await busyError(file, lockDir)
    await sleep(Math.min(delay, Math.max(0, deadlineMs - Date.now())) * (0.5 + Math.random()))
    delay = Math.min(delay * 2, 50)
  }
}

async function tryLock(file: string, lockDir: string, token: string): Promise<HeldLock | null> {
  const held: HeldLock = {
    file,
    lockDir,
    token,
    compromised: false,
    stillHeld: async () => (await readOwner(lockDir))?.token === token,
    release: async () => {
      releasing.add(lockDir)
      try {
        await release()
      } catch {
        // already gone: taken over as stale, nothing left to release
      } finally {
        releasing.delete(lockDir)
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
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return null
    throw error
  }
  const owner: LockOwner = { pid: process.pid, host: HOST, token, acquiredAt: Date.now() }
  try {
    await fsp.writeFile(join(lockDir, 'owner.json'), JSON.stringify(owner))
  } catch (error) {
    await held.release()
    throw error
  }
  return held
}

export async function readOwner(lockDir: string): Promise<LockOwner | null> {
  try {
    return JSON.parse(await fsp.readFile(join(lockDir, 'owner.json'), 'utf8')) as LockOwner
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

/** Why a held lock may be taken over: its holder died on this host, or it went unrefreshed past `stale`. */
async function abandonment(lockDir: string): Promise<{ token: string | null } | null> {
  let mtimeMs: number
  try {
    mtimeMs = (await fsp.stat(lockDir)).mtimeMs
  } catch {
    return null
  }
  const owner = await readOwner(lockDir)
  if (owner && owner.host === HOST && owner.pid !== process.pid && !isProcessAlive(owner.pid)) return { token: owner.token }
  if (mtimeMs < Date.now() - LOCK_STALE_MS) return { token: owner?.token ?? null }
  return null
}

/**
 * Break an abandoned lock. Breakers serialise on `<lock>.break`, and re-check under it that the folder still
 * belongs to the holder they judged abandoned, so two breakers never remove a lock a live process just took.
 */
async function breakIfAbandoned(lockDir: string): Promise<boolean> {
  const verdict = await abandonment(lockDir)
  if (!verdict) return false
  const breakDir = `${lockDir}.break`
  try {
    await fsp.mkdir(breakDir)
  } catch {
    try {
      if ((await fsp.stat(breakDir)).mtimeMs < Date.now() - BREAK_STALE_MS) await fsp.rm(breakDir, { recursive: true, force: true })
    } catch {
      // removed by its owner meanwhile
    }
    return false
  }
  try {
    const again = await abandonment(lockDir)
    if (!again || again.token !== verdict.token) return false
    const tomb = `${lockDir}.dead-${randomBytes(4).toString('hex')}`
    await fsp.rename(lockDir, tomb)
    await fsp.rm(tomb, { recursive: true, force: true })
    return true
  } catch {
    return false
  } finally {
    await fsp.rm(breakDir, { recursive: true, force: true })
  }
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
