import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readArchiveAfter } from '../storage/archive.js'

test('an archive page is found by seq whatever the line lengths, skips what does not parse, and ignores a torn tail', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-archive-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'archive.jsonl')
  const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ seq: i + 1, text: 'x'.repeat((i * 7919) % 20_000) }))
  lines[1500] = '{"seq": broken'
  writeFileSync(path, `${lines.join('\n')}\n{"seq":3001,"text":"half`)
  const seqs = (after: number, limit: number, before?: number) => readArchiveAfter<{ seq: number }>(path, after, limit, { before }).map((record) => record.seq)
  assert.deepEqual(seqs(0, 3), [1, 2, 3])
  assert.deepEqual(seqs(1498, 4), [1499, 1500, 1502, 1503])
  assert.deepEqual(seqs(2997, 10), [2998, 2999, 3000])
  assert.deepEqual(seqs(100, 10, 103), [101, 102])
  assert.deepEqual(seqs(3000, 10), [])
  assert.deepEqual(readArchiveAfter(join(dir, 'missing.jsonl'), 0, 10), [])
})
