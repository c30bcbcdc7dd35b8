import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { appendEvents, listSegments, SEGMENTS_KEPT } from '../storage/events.js'
import { EventReader } from '../storage/event-reader.js'
import { tempDir } from './helpers.js'

test('rotation keeps the 8 newest segments, starts each file with log.rotated, and seq carries on', async (t) => {
  const dir = tempDir(t)
  for (let i = 0; i < 40; i++) await appendEvents(dir, [{ type: 'custom.x', actor: 'a', data: { i } }], new Date(), 200)
  const segments = await listSegments(dir)
  assert.equal(segments.length, SEGMENTS_KEPT)
  const seqs: number[] = []
  for (const name of [...segments.map((segment) => segment.name), 'events.jsonl']) {
    const lines = readFileSync(join(dir, name), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line))
    seqs.push(...lines.map((event) => event.seq))
  }
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1)
  assert.equal(JSON.parse(readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n')[0]).type, 'log.rotated')
  const reader = new EventReader(dir)
  assert.equal((await reader.readSince(0, 10)).gap, true)
  const recent = await reader.readSince(seqs[0] - 1, 1000)
  assert.equal(recent.gap, false)
  assert.deepEqual(recent.events.map((event) => event.seq), seqs)
  assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), [])
})

test('a reader skips and counts lines that do not parse, and still returns the events around them', async (t) => {
  const dir = tempDir(t)
  await appendEvents(dir, [{ type: 'custom.a', actor: 'x' }], new Date(), 1 << 24)
  writeFileSync(join(dir, 'events.jsonl'), `${readFileSync(join(dir, 'events.jsonl'), 'utf8')}{"seq":\n[1,2]\n`)
  await appendEvents(dir, [{ type: 'custom.b', actor: 'x' }], new Date(), 1 << 24)
  const reader = new EventReader(dir)
  const page = await reader.readSince(0, 10)
  assert.deepEqual(page.events.map((event) => [event.seq, event.type]), [[1, 'custom.a'], [2, 'custom.b']])
  assert.equal(reader.skippedLines, 2)
})
