import fs from 'node:fs'
import { join } from 'node:path'
import type { FileOp } from './project-state.js'

/** Under the lock: give each append its byte offset, where the file ends now (after earlier appends of this commit). */
export function placeFileOps(dir: string, ops: FileOp[]): FileOp[] {
  const ends = new Map<string, number>()
  return ops.map(([doc, action, name, { text }]) => {
    const at = ends.get(name) ?? fs.statSync(join(dir, name), { throwIfNoEntry: false })?.size ?? 0
    ends.set(name, at + Buffer.byteLength(text))
    return [doc, action, name, { at, text }]
  })
}

/**
 * Under the lock: carry out committed appends that have not landed yet (their committer may have died right after
 * its commit). An append lands only where the file ends at its offset, and a partial one is cut back and redone, so a
 * text is never appended twice.
 */
export function applyFileOps(dir: string, pending: FileOp[]): void {
  for (const [, , name, { at, text }] of pending.splice(0)) {
    const file = join(dir, name)
    const bytes = Buffer.from(text)
    const size = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0
    if (size >= at + bytes.length || size < at) continue
    const fd = fs.openSync(file, 'a+', 0o600)
    try {
      if (size > at) fs.ftruncateSync(fd, at)
      fs.writeSync(fd, bytes)
    } finally {
      fs.closeSync(fd)
    }
  }
}
