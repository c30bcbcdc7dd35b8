// The disk's floor for one locked write: mkdir+rmdir of a lock folder, then write+fsync+rename of the same bytes.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'

export interface FloorRound {
  mkdir: number
  write: number
}

export function floorRound(dir: string, bytes: string, i: number): FloorRound {
  let started = performance.now()
  mkdirSync(join(dir, 'x.lock'))
  rmdirSync(join(dir, 'x.lock'))
  const mkdir = performance.now() - started
  started = performance.now()
  const temp = join(dir, `doc.${i}.tmp`)
  writeFileSync(temp, bytes)
  const fd = openSync(temp, 'r+')
  fsyncSync(fd)
  closeSync(fd)
  renameSync(temp, join(dir, 'doc.json'))
  return { mkdir, write: performance.now() - started }
}
