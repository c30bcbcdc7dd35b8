import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs'

/** A start whose file is this recent, by a process that is alive, is waited for; an older one is taken to have failed. */
const STARTING_MS = 10_000

/**
 * Claim the start of the shared server at `file` (created exclusively, holding the starter's pid): processes started
 * together start one. A claim left by a dead process, or older than STARTING_MS, is taken over.
 */
export function claimStart(file: string, pid = process.pid): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600)
      try {
        writeSync(fd, String(pid))
      } finally {
        closeSync(fd)
      }
      return true
    } catch (error) {
      // a folder where the file cannot be made: nobody can coordinate there, so start
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return true
      if (!abandoned(file)) return false
      rmSync(file, { force: true })
    }
  }
  return false
}

/** Name the process now starting (the server a relay spawned), so that its death frees the claim. */
export function passStart(file: string, pid: number): void {
  try {
    const fd = openSync(file, 'r+')
    try {
      writeSync(fd, String(pid).padEnd(12), 0)
    } finally {
      closeSync(fd)
    }
  } catch {
    // gone meanwhile: the server already listens
  }
}

/** Drop the claim if it is still `pid`'s. */
export function dropStart(file: string, pid = process.pid): void {
  if (claimant(file) === pid) rmSync(file, { force: true })
}

function claimant(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || undefined
  } catch {
    return undefined
  }
}

function abandoned(file: string): boolean {
  const age = Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0)
  if (age >= STARTING_MS) return true
  const pid = claimant(file)
  // a claim not yet written (its creator is between create and write) is young: wait for it
  if (pid === undefined) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}
