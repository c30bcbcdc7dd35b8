import { randomBytes } from 'node:crypto'
import fs, { promises as fsp } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { LockstepError } from '../lib/errors.js'

const IS_WINDOWS = process.platform === 'win32'
const WINDOWS_BUSY = new Set(['EPERM', 'EACCES', 'EBUSY'])
// read once: open() applies the umask, so a mode it cannot strip needs no chmod afterwards
const UMASK = IS_WINDOWS ? 0 : readUmask()

function readUmask(): number {
  const mask = process.umask(0o022)
  process.umask(mask)
  return mask
}

// The store's metadata I/O is a handful of tiny syscalls per transaction; done synchronously they cost
// microseconds, where each round trip through the thread pool would cost tens.

export interface AtomicWriteOptions {
  /** File mode for a new file (POSIX). An existing file keeps its mode. */
  mode?: number
  /** Let the umask filter `mode` for a new file, as for any file a program creates (agents' files). */
  umask?: boolean
  /** The temp file's name in the folder of `file` (the default is `<name>.<pid>.<random>.tmp`). */
  tempName?: string
}

/** A unique temp file name for `name`: `<name>.<pid>.<random>.tmp`. */
export function tempNameFor(name: string): string {
  return `${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
}

/** Write `data` to `file` so that readers see the old or the new content, never a mixture. */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const temp = join(dirname(file), options.tempName ?? tempNameFor(basename(file)))
  const existing = existingMode(file)
  const mode = existing ?? options.mode ?? 0o600
  // open() applies the umask; an existing file's mode, or an exact new mode, must survive it
  const exact = existing !== undefined || !options.umask
  try {
    const fd = fs.openSync(temp, 'wx', mode)
    try {
      fs.writeFileSync(fd, data)
      if (!IS_WINDOWS && exact && (mode & UMASK) !== 0) fs.fchmodSync(fd, mode)
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    await renameWithRetry(temp, file)
  } catch (error) {
    fs.rmSync(temp, { force: true })
    throw error
  }
}

function existingMode(file: string): number | undefined {
  const stat = fs.statSync(file, { throwIfNoEntry: false })
  return stat ? stat.mode & 0o7777 : undefined
}

/** On Windows a rename over a file another process has open fails for a moment; retry for up to 1 s, then BUSY. */
export async function renameWithRetry(from: string, to: string): Promise<void> {
  const deadline = Date.now() + 1000
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      return fs.renameSync(from, to)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? ''
      if (!IS_WINDOWS || !WINDOWS_BUSY.has(code)) throw error
      if (Date.now() > deadline) {
        throw new LockstepError('BUSY', `${to} stayed open in another process for 1 s (${code}); nothing was written. Retry the call.`, { file: to, cause: code })
      }
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}

/** fsync a folder on the thread pool (best effort), so the caller's thread can go on meanwhile. */
export function syncDirectory(dir: string): Promise<void> {
  if (IS_WINDOWS) return Promise.resolve()
  let fd: number
  try {
    fd = fs.openSync(dir, 'r')
  } catch {
    return Promise.resolve()
  }
  // best effort: some filesystems refuse fsync on a directory
  return new Promise((resolve) => fs.fsync(fd, () => (fs.closeSync(fd), resolve())))
}

/** Read a whole file, retrying transient Windows sharing errors for up to 1 s. Missing → null. */
export async function readTextOrNull(file: string): Promise<string | null> {
  const deadline = Date.now() + 1000
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      return fs.readFileSync(file, 'utf8')
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? ''
      if (code === 'ENOENT') return null
      if (!IS_WINDOWS || !WINDOWS_BUSY.has(code) || Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}

/** Remove `*.tmp` files older than an hour left by crashed writers. */
export async function removeOldTempFiles(dir: string, maxAgeMs = 3_600_000): Promise<void> {
  let names: string[]
  try {
    names = await fsp.readdir(dir)
  } catch {
    return
  }
  const cutoff = Date.now() - maxAgeMs
  for (const name of names.filter((item) => item.endsWith('.tmp'))) {
    const path = join(dir, name)
    try {
      if ((await fsp.stat(path)).mtimeMs < cutoff) await fsp.rm(path, { force: true })
    } catch {
      // another writer removed it first
    }
  }
}
