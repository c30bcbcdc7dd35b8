import assert from 'node:assert/strict'
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import test from 'node:test'
import { LockstepError } from '../lib/errors.js'
import { EventReader } from '../storage/journal/event-reader.js'
import { ProjectState } from '../storage/journal/project-state.js'
import { Store } from '../storage/store.js'
import { DOCUMENTS } from '../lib/state/schema.js'
import { runTs } from './support/helpers.js'
import { storeChild as child, storeOutput as output, storeSetup, task } from './support/store-helpers.js'
import { journalBytes, readStored } from './support/stored.js'

test('a commit is one journal line that a fresh process reads back, and a new project writes its snapshots', async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  await store.transact(project, ['tasks'], (docs) => void (docs.tasks.tasks[0].title = 'renamed'))
  const lines = readFileSync(join(project.dir, 'journal.jsonl'), 'utf8').trim().split('\n')
  assert.equal(lines.length, 3)
  assert.deepEqual(JSON.parse(lines[2]).ops, [['tasks', 'put', 'tasks', { ...(await readStored(project.dir, 'tasks')).tasks[0] }]])
  assert.equal((await readStored(project.dir, 'tasks')).tasks[0].title, 'renamed')
  assert.equal(JSON.parse(readFileSync(join(project.dir, 'project.json'), 'utf8')).root, project.root)
})

test('a throw inside a transaction changes nothing, in memory or on disk', async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks', 'notes'], (docs) => {
    docs.tasks.tasks.push(task('task-a', { tags: ['x'] }))
    docs.notes.nextSeq = 5
  })
  const before = journalBytes(project.dir)
  await assert.rejects(
    store.transact(project, ['tasks', 'notes'], (docs) => {
      docs.tasks.tasks[0].tags.push('y')
      docs.tasks.tasks[0].title = 'changed'
      docs.tasks.tasks.push(task('task-b'))
      docs.tasks.tasks.splice(0, 1)
      docs.notes.nextSeq = 9
      throw new LockstepError('CONFLICT', 'no')
    }),
    (error: LockstepError) => error.code === 'CONFLICT',
  )
  assert.equal(journalBytes(project.dir), before)
  const tasks = (await store.read(project, 'tasks')).tasks
  assert.deepEqual([tasks.length, tasks[0].id, tasks[0].title, tasks[0].tags], [1, 'task-a', 'task-a', ['x']])
  assert.equal((await store.read(project, 'notes')).nextSeq, 5)
})

test('reads before the first write see empty documents and create nothing', async (t) => {
  const { store, project } = storeSetup(t)
  assert.deepEqual((await store.read(project, 'tasks')).tasks, [])
  assert.equal(existsSync(project.dir), false)
})

test('a value read is a copy that later commits do not change', async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const read = (await store.read(project, 'tasks')).tasks[0]
  await store.transact(project, ['tasks'], (docs) => void (docs.tasks.tasks[0].title = 'later'))
  assert.equal(read.title, 'task-a')
  assert.equal((await store.read(project, 'tasks')).tasks[0].title, 'later')
})

test('a full disk fails the call naming the folder, leaves no partial line, and the next write succeeds', { timeout: 30_000 }, async (t) => {
  const { project, dataDir, projectDir, store } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const failing = child(['add', dataDir, projectDir, 'task-b'], { FAULT: 'enospc' }, true)
  assert.equal(await output(failing), 'error BUSY')
  assert.ok(readFileSync(join(project.dir, 'journal.jsonl'), 'utf8').endsWith('\n'))
  const again = child(['add', dataDir, projectDir, 'task-c'])
  assert.equal(await output(again), 'committed')
  assert.deepEqual(
    (await readStored(project.dir, 'tasks')).tasks.map((item) => item.id),
    ['task-a', 'task-c'],
  )
})

test('readers racing writers for 2 s never see a half-applied commit', { timeout: 60_000 }, async (t) => {
  const { store, project, dataDir, projectDir } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => {
    for (let i = 0; i < 20; i++) docs.tasks.tasks.push(task(`task-${i}`))
  })
  const runs = await Promise.all([
    runTs('store-child.ts', ['write-loop', dataDir, projectDir, '2000']),
    runTs('store-child.ts', ['write-loop', dataDir, projectDir, '2000']),
    runTs('store-child.ts', ['read-loop', dataDir, projectDir, '2000']),
  ])
  for (const run of runs) assert.equal(run.code, 0, run.stderr)
  const reads = JSON.parse(runs[2].stdout) as { reads: number; torn: number }
  assert.ok(reads.reads > 10)
  assert.equal(reads.torn, 0)
})

test('a torn last line is ignored by readers and cut by the next writer', async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  appendFileSync(join(project.dir, 'journal.jsonl'), '{"seq":3,"ts":"x","id":"torn","ops":[["tasks","put","tas')
  assert.deepEqual(
    (await readStored(project.dir, 'tasks')).tasks.map((item) => item.id),
    ['task-a'],
  )
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-b')))
  const text = readFileSync(join(project.dir, 'journal.jsonl'), 'utf8')
  assert.equal(text.includes('torn'), false)
  assert.deepEqual(
    (await readStored(project.dir, 'tasks')).tasks.map((item) => item.id),
    ['task-a', 'task-b'],
  )
})

test('a corrupt snapshot fails only what needs it: CORRUPT_STATE with a kept copy, the file untouched, the rest works', async (t) => {
  const { dataDir, projectDir, project, store } = storeSetup(t)
  await store.transact(project, ['tasks', 'locks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const file = join(project.dir, 'tasks.json')
  writeFileSync(file, '{"schemaVersion": 1, "kind": "tasks", ')
  const before = readFileSync(file)
  const fresh = new Store({ dataDir, documents: DOCUMENTS })
  t.after(() => fresh.close())
  await assert.rejects(fresh.read(fresh.project(projectDir), 'tasks'), (error: LockstepError) => error.code === 'CORRUPT_STATE' && String(error.data.file).endsWith('tasks.json'))
  await fresh.transact(project, ['locks'], (docs) => void docs.locks.locks.push({ id: 'lock-1', path: 'a', status: 'active', createdAt: 'x', updatedAt: 'x', expiresAt: 'x' }))
  assert.equal((await fresh.read(project, 'locks')).locks.length, 1)
  assert.deepEqual(readFileSync(file), before)
  assert.ok(readdirSync(join(project.dir, 'backups')).some((name) => name.startsWith('tasks.json.corrupt-')))
})

test('a store written by the older layout opens with everything, and event seqs go on from its log', async (t) => {
  const { dataDir, projectDir } = storeSetup(t)
  const store = new Store({ dataDir, documents: DOCUMENTS })
  t.after(() => store.close())
  const project = store.project(projectDir)
  mkdirSync(project.dir, { recursive: true })
  const fixture = join(import.meta.dirname, '..', 'fixtures', 'store-v1')
  for (const name of readdirSync(fixture)) {
    writeFileSync(join(project.dir, name), readFileSync(join(fixture, name), 'utf8').replaceAll('PROJECT_ID', project.id).replaceAll('PROJECT_ROOT', project.root))
  }
  assert.deepEqual(
    (await store.read(project, 'tasks')).tasks.map((item) => item.id),
    ['task-old1', 'task-old2'],
  )
  const { commit } = await store.transactCommit(project, ['tasks'], (docs, tx) => {
    docs.tasks.tasks[0].title = 'kept'
    tx.emit({ type: 'custom.after', actor: 'test' })
  })
  assert.deepEqual(
    commit.events.map((event) => event.seq),
    [4],
  )
  assert.deepEqual(
    (await readStored(project.dir, 'tasks')).tasks.map((item) => [item.id, item.title]),
    [
      ['task-old1', 'kept'],
      ['task-old2', 'Second'],
    ],
  )
  assert.equal((await readStored(project.dir, 'notes')).notes.length, 1)
  const events = (await store.eventReader(project).readSince(0, 10)).events
  assert.deepEqual(
    events.map((event) => event.seq),
    [1, 2, 3, 4],
  )
  assert.ok(statSync(join(project.dir, 'journal.jsonl')).size > 0)
})

test('a restore point is kept at least hourly while the project changes, and a copy before destructive work', async (t) => {
  const clock = { ms: Date.parse('2026-12-01T08:00:00Z') }
  const { store, project } = storeSetup(t, { now: () => new Date(clock.ms) })
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  clock.ms += 30 * 60_000
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-b')))
  clock.ms += 31 * 60_000
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-c')))
  const points = readdirSync(join(project.dir, 'backups'))
    .filter((name) => name.startsWith('restore-'))
    .sort()
  assert.deepEqual(points, ['restore-20261201T080000Z', 'restore-20261201T090100Z'])
  const later = JSON.parse(readFileSync(join(project.dir, 'backups', points[1], 'tasks.json'), 'utf8'))
  assert.deepEqual(
    later.tasks.map((item: { id: string }) => item.id),
    ['task-a', 'task-b', 'task-c'],
  )
  let folder = ''
  await store.transact(project, ['tasks'], (docs, tx) => {
    folder = tx.backup('reset')
    docs.tasks.tasks = []
  })
  const copy = JSON.parse(readFileSync(join(folder, 'tasks.json'), 'utf8'))
  assert.equal(copy.tasks.length, 3)
})

test('an old event cursor gets no event past the cursor it is given, so the next page repeats none', async (t) => {
  const { project, store } = storeSetup(t, { snapshotBytes: 4096 })
  const add = async (from: number, to: number) => {
    for (let i = from; i < to; i++) await store.transact(project, ['tasks'], (docs, tx) => void tx.emit({ type: 'task.created', actor: 'test', ids: { taskId: `task-${i}` } }))
  }
  await add(0, 60)
  // a reader whose state was caught up before the last 10 commits (they land between its catch-up and its read)
  const state = new ProjectState(project, DOCUMENTS, { backup: false })
  await state.load()
  t.after(() => state.journal.close())
  const caughtUp = Object.assign(Object.create(state) as ProjectState, { sync: async () => undefined })
  await add(60, 70)
  const reader = new EventReader(project.dir, async () => caughtUp)
  const first = await reader.readSince(0, 1000)
  assert.ok(state.recent[0].seq > 1, 'the cursor is older than the events kept in memory')
  assert.equal(first.cursor, 60)
  assert.deepEqual(
    first.events.map((event) => event.seq),
    Array.from({ length: 60 }, (_, i) => i + 1),
  )
})

test('a read allowed to be stale skips the journal only within its window; a plain read always catches up', async (t) => {
  const { store, project, dataDir } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const other = new Store({ dataDir, documents: DOCUMENTS })
  t.after(() => other.close())
  const ids = (tasks: { tasks: { id: string }[] }) => tasks.tasks.map((item) => item.id)
  assert.deepEqual(ids(await other.read(project, 'tasks')), ['task-a'])
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-b')))
  assert.deepEqual(ids(await other.read(project, 'tasks', { maxStaleMs: 60_000 })), ['task-a'])
  assert.deepEqual(ids(await other.read(project, 'tasks')), ['task-a', 'task-b'])
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-c')))
  await new Promise((resolve) => setTimeout(resolve, 30))
  assert.deepEqual(ids(await other.read(project, 'tasks', { maxStaleMs: 20 })), ['task-a', 'task-b', 'task-c'])
})

test('a view stays right after more changes than it counts one by one: the next read copies the collection whole', async (t) => {
  const { store, project, dataDir } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a', { title: 'first' })))
  const other = new Store({ dataDir, documents: DOCUMENTS })
  t.after(() => other.close())
  const before = await other.read(project, 'tasks')
  for (let i = 0; i < 300; i++) await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task(`task-n${i}`)))
  await store.transact(project, ['tasks'], (docs) => void (docs.tasks.tasks[0].title = 'renamed'))
  const after = await other.read(project, 'tasks')
  assert.equal(after.tasks.length, 301)
  assert.equal(after.tasks[0].title, 'renamed')
  assert.deepEqual(
    after.tasks.slice(1).map((item) => item.id),
    Array.from({ length: 300 }, (_, i) => `task-n${i}`),
  )
  assert.deepEqual(
    before.tasks.map((item) => [item.id, item.title]),
    [['task-a', 'first']],
  )
})
