// Preload (node --import) that makes a chosen file-system call of the journal append misbehave, to put a process at
// an exact point of a write: FAULT=stop-before-append stops the process (SIGSTOP) right before it appends;
// stop-after-append right after the line is durable and before it is checked; kill-after-append kills it (SIGKILL)
// there; enospc fails the first FAULT_COUNT appends with ENOSPC after writing half the line; no-links makes every
// link() fail with EPERM, as on a filesystem without hard links.
import fs from 'node:fs'

const fault = process.env.FAULT
let left = Number(process.env.FAULT_COUNT ?? 1)
const appendFds = new Set<number>()
const openSync = fs.openSync
const writeSync = fs.writeSync
const fdatasyncSync = fs.fdatasyncSync
const fdatasync = fs.fdatasync

if (fault === 'no-links') {
  fs.linkSync = (() => {
    throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM', errno: -1, syscall: 'link' })
  }) as typeof fs.linkSync
}

fs.openSync = ((path: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
  const fd = openSync(path, flags as fs.OpenMode, mode)
  if (String(path).endsWith('journal.jsonl') && flags === 'a') appendFds.add(fd)
  return fd
}) as typeof fs.openSync

fs.writeSync = ((fd: number, buffer: Buffer, ...rest: unknown[]) => {
  if (appendFds.has(fd) && left > 0 && (fault === 'stop-before-append' || fault === 'enospc')) {
    appendFds.delete(fd)
    left--
    if (fault === 'stop-before-append') {
      fs.writeFileSync(process.env.FAULT_SIGNAL!, 'stopping')
      process.kill(process.pid, 'SIGSTOP')
    } else if (fault === 'enospc') {
      writeSync(fd, buffer.subarray(0, Math.floor(buffer.length / 2)))
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' })
    }
  }
  return (writeSync as (...args: unknown[]) => number)(fd, buffer, ...rest)
}) as typeof fs.writeSync

const afterSync = (fd: number) => {
  if (fault === 'stop-after-append' || fault === 'kill-after-append') {
    if (appendFds.has(fd) && !done) {
      done = true
      if (process.env.FAULT_SIGNAL) fs.writeFileSync(process.env.FAULT_SIGNAL, 'stopping')
      process.kill(process.pid, fault === 'stop-after-append' ? 'SIGSTOP' : 'SIGKILL')
    }
  }
}

fs.fdatasyncSync = ((fd: number) => {
  fdatasyncSync(fd)
  afterSync(fd)
}) as typeof fs.fdatasyncSync

fs.fdatasync = ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
  fdatasync(fd, (error) => {
    if (!error) afterSync(fd)
    callback(error)
  })
}) as typeof fs.fdatasync
let done = false
