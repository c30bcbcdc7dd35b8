import { test } from 'node:test'
import assert from 'node:assert/strict'
import { coordinationInit } from '../lib/agents/agents.js'
import { createTask } from '../lib/tasks/tasks.js'
import { appendLog, waitEvents } from '../lib/messages/events.js'
import { appendNote, listNotes } from '../lib/messages/notes.js'
import { truncateSync } from 'node:fs'
import { join } from 'node:path'
import { resetSession } from '../lib/agents/session-reset.js'
import { peerCtx, testCtx } from './support/helpers.js'

test('note_list: the last limit notes oldest first, or those after since, by exact author', async (t) => {
  const ctx = testCtx(t)
  for (const text of ['a', 'b', 'c', 'd']) await appendNote(ctx, { text, author: text === 'c' ? 'carol' : 'bob' })
  assert.deepEqual(
    (await listNotes(ctx, { limit: 2 })).map((note) => note.text),
    ['c', 'd'],
  )
  const all = await listNotes(ctx, {})
  assert.deepEqual(
    all.map((note) => note.seq),
    [1, 2, 3, 4],
  )
  assert.deepEqual(
    (await listNotes(ctx, { since: 1, limit: 2 })).map((note) => note.text),
    ['b', 'c'],
  )
  assert.deepEqual(
    (await listNotes(ctx, { author: 'bob' })).map((note) => note.text),
    ['a', 'b', 'd'],
  )
  assert.deepEqual(await listNotes(ctx, { author: 'Bob' }), [])
})

test('events_wait: matching events after since, a cursor to go on from, mine for registered sessions', async (t) => {
  const planner = testCtx(t)
  const impl = peerCtx(planner)
  await coordinationInit(planner, { role: 'planner' })
  await coordinationInit(impl, { role: 'implementer', name: 'impl-1' })
  const start = await waitEvents(impl, { timeoutMs: 0 })
  assert.deepEqual([start.events, start.timedOut, 'gap' in start], [[], true, false])
  await createTask(planner, { title: 'Other', complexity: 'simple' })
  const mine = await createTask(planner, { title: 'Mine', complexity: 'simple', owner: 'impl-1' })
  const page = await waitEvents(impl, { since: start.cursor, types: ['task.*'], limit: 1, timeoutMs: 0 })
  assert.deepEqual(
    page.events.map((event) => event.type),
    ['task.created'],
  )
  const rest = await waitEvents(impl, { since: page.cursor, types: ['task.created'], timeoutMs: 0 })
  assert.deepEqual(
    rest.events.map((event) => event.ids?.taskId),
    [mine.id],
  )
  const forMe = await waitEvents(impl, { since: start.cursor, mine: true, timeoutMs: 0 })
  assert.deepEqual(
    forMe.events.map((event) => [event.type, event.ids?.taskId]),
    [['task.created', mine.id]],
  )
  const done = await waitEvents(impl, { since: rest.cursor, timeoutMs: 0 })
  assert.equal(done.cursor, rest.cursor)
  await assert.rejects(waitEvents(peerCtx(planner), { mine: true, timeoutMs: 0 }), (error: { code?: string }) => error.code === 'INVALID_INPUT')
  const waiting = waitEvents(impl, { since: done.cursor, types: ['custom.*'], timeoutMs: 5_000 })
  const logged = await appendLog(planner, { event: 'build.done', payload: { ok: true } })
  const woke = await waiting
  assert.deepEqual(
    woke.events.map((event) => [event.seq, event.type, event.actor, event.data]),
    [[logged.seq, 'custom.build.done', 'planner', { ok: true }]],
  )
  assert.equal(logged.ok, true)
})

test('note_list pages through the archive: since older than the live notes reads on from archived ones', async (t) => {
  const ctx = testCtx(t)
  // 2,600 notes: the first 1,000 are moved to the archive when the 2,001st is posted
  for (let i = 1; i <= 2600; i++) await appendNote(ctx, { text: `n${i}`, author: i % 3 ? 'bob' : 'carol' })
  const live = await listNotes(ctx, { limit: 500 })
  assert.equal(live.at(-1)?.seq, 2600)
  const seqs: number[] = []
  for (let since = 0; ;) {
    const page = await listNotes(ctx, { since, limit: 500 })
    if (!page.length) break
    seqs.push(...page.map((note) => note.seq))
    since = page.at(-1)!.seq
  }
  assert.deepEqual(
    seqs,
    Array.from({ length: 2600 }, (_, i) => i + 1),
  )
  // a page that straddles the archive and the live notes
  assert.deepEqual(
    (await listNotes(ctx, { since: 995, limit: 10 })).map((note) => note.seq),
    [996, 997, 998, 999, 1000, 1001, 1002, 1003, 1004, 1005],
  )
  assert.deepEqual(
    (await listNotes(ctx, { since: 10, limit: 3, author: 'carol' })).map((note) => note.text),
    ['n12', 'n15', 'n18'],
  )
})

test('note_list reads archived notes whose append has not landed yet from the journal, and none from before a reset', async (t) => {
  const ctx = testCtx(t)
  for (let i = 1; i <= 2001; i++) await appendNote(ctx, { text: `n${i}`, author: 'bob' })
  const project = ctx.store.project(ctx.caller.cwd)
  const archive = join(project.dir, 'notes-archive.jsonl')
  // as if the writer that moved notes 1..1000 out had died between its commit and the append
  truncateSync(archive, 0)
  const reader = testCtx(t, { dataDir: ctx.settings.dataDir, cwd: ctx.caller.cwd })
  const seqs = (await listNotes(reader, { since: 0, limit: 500 })).map((note) => note.seq)
  assert.deepEqual(
    seqs,
    Array.from({ length: 500 }, (_, i) => i + 1),
  )
  assert.deepEqual(
    (await listNotes(reader, { since: 998, limit: 4 })).map((note) => note.seq),
    [999, 1000, 1001, 1002],
  )

  await coordinationInit(ctx, { role: 'planner' })
  await resetSession(ctx, { confirm: true })
  await appendNote(ctx, { text: 'after the reset' })
  const after = (await listNotes(ctx, { since: 0 })).map((note) => note.text)
  assert.ok(after.includes('after the reset') && after.every((text) => !/^n\d+$/.test(text)), after.join(' | '))
})
