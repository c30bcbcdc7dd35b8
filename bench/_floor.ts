// The disk's floor for one commit: append a small line and fdatasync it (what a commit must do), and, for scale,
// write, fsync and rename a small file.
import { closeSync, fdatasyncSync, fsyncSync, mkdtempSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'

export interface FloorRound {
  append: number
  rename: number
}

const LINE = `${JSON.stringify({ seq: 1, ts: new Date().toISOString(), id: 'abcdef', ops: [['notes', 'put', 'notes', { id: 'note-x', text: 'x'.repeat(120) }]] })}\n`

/** One round of both, in `dir`. */
export function floorRound(dir: string): FloorRound {
  let started = performance.now()
  const fd = openSync(join(dir, 'journal.jsonl'), 'a')
  writeSync(fd, LINE)
  fdatasyncSync(fd)
  closeSync(fd)
  const append = performance.now() - started
  started = performance.now()
  const temp = join(dir, 'doc.tmp')
  const file = openSync(temp, 'w')
  writeSync(file, LINE)
  fsyncSync(file)
  closeSync(file)
  renameSync(temp, join(dir, 'doc.json'))
  return { append, rename: performance.now() - started }
}

/** The disk's floor for one commit, median of 2,000: append a small line and fdatasync it; write, fsync and rename a small file. */
export function diskFloor(rounds = 2000): { append: number; rename: number } {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-floor-'))
  try {
    const append: number[] = []
    const rename: number[] = []
    for (let i = 0; i < rounds; i++) {
      const round = floorRound(dir)
      append.push(round.append)
      rename.push(round.rename)
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]
    return { append: median(append), rename: median(rename) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
