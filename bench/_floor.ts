// The disk's floor for one locked write: mkdir+rmdir of a lock folder, then write+fsync+rename of the same bytes.
import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, rmdirSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
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

/** The disk's floor for one commit, median of 2,000: append a small line and fdatasync it; write, fsync and rename a small file. */
export function diskFloor(rounds = 2000): { append: number; rename: number } {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-floor-'))
  try {
    const line = `${JSON.stringify({ seq: 1, ts: new Date().toISOString(), id: 'abcdef', ops: [['notes', 'put', 'notes', { id: 'note-x', text: 'x'.repeat(120) }]] })}\n`
    const fd = openSync(join(dir, 'journal.jsonl'), 'a')
    const append: number[] = []
    const rename: number[] = []
    for (let i = 0; i < rounds; i++) {
      let started = performance.now()
      writeSync(fd, line)
      fdatasyncSync(fd)
      append.push(performance.now() - started)
      started = performance.now()
      const temp = join(dir, 'doc.tmp')
      const file = openSync(temp, 'w')
      writeSync(file, line)
      fsyncSync(file)
      closeSync(file)
      renameSync(temp, join(dir, 'doc.json'))
      rename.push(performance.now() - started)
    }
    closeSync(fd)
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]
    return { append: median(append), rename: median(rename) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
