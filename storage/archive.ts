import fs from 'node:fs'

// An archive is a JSON-lines file of records in ascending `seq` order, appended under the project lock (file-ops.ts).
// Reading a page of it costs a binary search over byte offsets and the page itself, however long the archive is.

const CHUNK = 16 * 1024
const NEWLINE = 0x0a

interface Line {
  start: number
  end: number
  seq: number
}

/**
 * The records of the archive at `path` with `seq` above `after` (and below `before`, when given), oldest first, at
 * most `limit` of those `accept` keeps. A missing archive is empty; lines that do not parse are skipped. `pending`
 * texts are appends committed but not in the file yet: their records follow the file's.
 */
export function readArchiveAfter<T extends { seq: number }>(path: string, after: number, limit: number, options: { before?: number; accept?: (record: T) => boolean; pending?: string[] } = {}): T[] {
  const out = readFromFile<T>(path, after, limit, options)
  let last = out.at(-1)?.seq ?? after
  for (const line of (options.pending ?? []).join('').split('\n')) {
    if (out.length >= limit) break
    const record = parseText<T>(line)
    if (!record || record.seq <= last || (options.before !== undefined && record.seq >= options.before)) continue
    last = record.seq
    if (!options.accept || options.accept(record)) out.push(record)
  }
  return out
}

function readFromFile<T extends { seq: number }>(path: string, after: number, limit: number, options: { before?: number; accept?: (record: T) => boolean }): T[] {
  let fd: number
  try {
    fd = fs.openSync(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  try {
    const size = fs.fstatSync(fd).size
    const out: T[] = []
    for (let at = firstAfter(fd, size, after); at < size && out.length < limit;) {
      const line = lineFrom(fd, at, size)
      if (!line) break
      at = line.end
      const record = parse<T>(fd, line)
      if (!record || record.seq <= after) continue
      if (options.before !== undefined && record.seq >= options.before) break
      if (!options.accept || options.accept(record)) out.push(record)
    }
    return out
  } finally {
    fs.closeSync(fd)
  }
}

/** The offset of the first line whose seq is above `after` (lines before it all have a seq at or below). */
function firstAfter(fd: number, size: number, after: number): number {
  let lo = 0
  let hi = size
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2)
    let line = lineFrom(fd, mid, size)
    const first = line?.start
    // a line that does not parse says nothing of the order: judge by the next one that does
    while (line && line.seq < 0 && line.end < hi) line = lineFrom(fd, line.end, size)
    if (!line || line.seq < 0 || line.start >= hi) {
      hi = mid
    } else if (line.seq <= after) {
      lo = line.end
    } else {
      hi = first!
    }
  }
  return lo
}

/** The first complete line that starts at or after `offset`, with its seq (-1 when it does not parse). */
function lineFrom(fd: number, offset: number, size: number): Line | null {
  let start = offset
  if (offset > 0) {
    const newline = findNewline(fd, offset - 1, size)
    if (newline < 0) return null
    start = newline + 1
  }
  if (start >= size) return null
  const newline = findNewline(fd, start, size)
  // a line still being written has no newline yet: it is not there
  if (newline < 0) return null
  const line = { start, end: newline + 1, seq: -1 }
  line.seq = parse<{ seq: number }>(fd, line)?.seq ?? -1
  return line
}

function findNewline(fd: number, from: number, size: number): number {
  const buffer = Buffer.allocUnsafe(CHUNK)
  for (let at = from; at < size; at += CHUNK) {
    const read = fs.readSync(fd, buffer, 0, Math.min(CHUNK, size - at), at)
    const index = buffer.subarray(0, read).indexOf(NEWLINE)
    if (index >= 0) return at + index
    if (read === 0) break
  }
  return -1
}

function parse<T>(fd: number, line: { start: number; end: number }): T | null {
  const buffer = Buffer.allocUnsafe(line.end - line.start)
  fs.readSync(fd, buffer, 0, buffer.length, line.start)
  return parseText<T>(buffer.toString('utf8'))
}

function parseText<T>(text: string): T | null {
  if (!text.trim()) return null
  try {
    const record = JSON.parse(text) as T & { seq?: unknown }
    return Number.isInteger(record?.seq) ? record : null
  } catch {
    return null
  }
}
