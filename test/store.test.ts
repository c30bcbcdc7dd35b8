import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { Store } from '../storage/store.js'
import { DOCUMENTS, type Task } from '../lib/schema.js'
import { LockstepError } from '../lib/errors.js'
import { runTs, tempDir } from './helpers.js'
import { storeSetup, task } from './store-helpers.js'



test('a transaction round-trips through the file with the envelope, rev and a created project', async (t) => {
  const { store, project } = storeSetup(t)
  const created = await store.transact(project, ['tasks'], (docs, tx) => {
    docs.tasks.tasks.push(task('task-a'))
    tx.emit({ type: 'task.created', actor: 'planner', ids: { taskId: 'task-a' } })
    return tx.created
  })
  assert.equal(created, true)
  const onDisk = JSON.parse(readFileSync(join(project.dir, 'tasks.json'), 'utf8'))
  assert.equal(onDisk.schemaVersion, 1)
  assert.equal(onDisk.kind, 'tasks')
  assert.equal(onDisk.projectId, project.id)
  assert.equal(onDisk.rev, 1)
  assert.deepEqual(onDisk.tasks.map((item: Task) => item.id), ['task-a'])
  assert.equal(JSON.parse(readFileSync(join(project.dir, 'project.json'), 'utf8')).root, project.root)
  const again = await store.transact(project, ['tasks'], (docs) => docs.tasks.tasks.length)
  assert.equal(again, 1)
  assert.equal(JSON.parse(readFileSync(join(project.dir, 'tasks.json'), 'utf8')).rev, 1, 'an unchanged document is not rewritten')
  const page = await store.eventReader(project).readSince(0, 10)
  assert.deepEqual(page.events.map((event) => [event.seq, event.type]), [[1, 'task.created']])
})

test('a LockstepError thrown inside a transaction writes nothing', async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const before = readFileSync(join(project.dir, 'tasks.json'), 'utf8')
  await assert.rejects(
    store.transact(project, ['tasks'], (docs, tx) => {
      docs.tasks.tasks.push(task('task-b'))
      tx.emit({ type: 'task.created', actor: 'x' })
      throw new LockstepError('CONFLICT', 'no')
    }),
    (error: LockstepError) => error.code === 'CONFLICT',
  )
  assert.equal(readFileSync(join(project.dir, 'tasks.json'), 'utf8'), before)
  assert.equal(existsSync(join(project.dir, 'events.jsonl')), false)
})

test('reads before the first write see empty documents and create nothing', async (t) => {
  const { store, project } = storeSetup(t)
  assert.deepEqual(await store.read(project, 'tasks'), { tasks: [] })
  assert.equal(existsSync(project.dir), false)
})

test('8 processes x 200 read-modify-write increments on one document give exactly 1,600', { timeout: 120_000 }, async (t) => {
  const { store, project, dataDir, projectDir } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-counter', { metadata: { counter: 0 } })))
  const results = await Promise.all(Array.from({ length: 8 }, () => runTs('store-child.ts', ['increment', dataDir, projectDir, '200'])))
  for (const result of results) assert.equal(result.code, 0, result.stderr)
  const onDisk = JSON.parse(readFileSync(join(project.dir, 'tasks.json'), 'utf8'))
  assert.equal(onDisk.tasks[0].metadata.counter, 1600)
  assert.equal(onDisk.rev, 1601)
  const page = await store.eventReader(project).readSince(0, 5000)
  assert.equal(page.events.length, 1600)
  assert.deepEqual(page.events.map((event) => event.seq), Array.from({ length: 1600 }, (_, i) => i + 1))
})

test('8 processes racing to claim 400 items claim each exactly once, and each agrees with the file', { timeout: 120_000 }, async (t) => {
  const { store, project, dataDir, projectDir } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => {
    for (let i = 0; i < 400; i++) docs.tasks.tasks.push(task(`task-${String(i).padStart(4, '0')}`))
  })
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => runTs('store-child.ts', ['claim', dataDir, projectDir, `w${i}`])))
  const claimed = new Map<string, string>()
  results.forEach((result, i) => {
    assert.equal(result.code, 0, result.stderr)
    for (const id of JSON.parse(result.stdout) as string[]) {
      assert.equal(claimed.has(id), false, `${id} claimed twice`)
      claimed.set(id, `w${i}`)
    }
  })
  assert.equal(claimed.size, 400)
  const onDisk = JSON.parse(readFileSync(join(project.dir, 'tasks.json'), 'utf8')) as { tasks: Task[] }
  for (const item of onDisk.tasks) assert.equal(item.owner, claimed.get(item.id))
})

test('a holder killed with SIGKILL mid-transaction is broken at once: the next write lands within 2 s', { timeout: 60_000 }, async (t) => {
  const { store, project, dataDir, projectDir } = storeSetup(t)
  await store.transact(project, ['tasks', 'locks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const { spawn } = await import('node:child_process')
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'store-child.ts'), 'hold', dataDir, projectDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve) => child.stdout.on('data', (chunk) => String(chunk).includes('holding') && resolve()))
  assert.equal(existsSync(join(project.dir, 'tasks.json.lock')), true)
  child.kill('SIGKILL')
  await new Promise((resolve) => child.on('close', resolve))
  const started = Date.now()
  await store.transact(project, ['tasks', 'locks'], (docs) => void docs.tasks.tasks.push(task('task-b')))
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`)
  for (const name of ['project.json', 'tasks.json']) JSON.parse(readFileSync(join(project.dir, name), 'utf8'))
  assert.deepEqual((await store.read(project, 'tasks')).tasks.map((item) => item.id), ['task-a', 'task-b'])
})

test('readers racing writers for 2 s never see a partial document', { timeout: 60_000 }, async (t) => {
  const { store, project, dataDir, projectDir } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const [reader1, reader2, writer1, writer2] = await Promise.all([
    runTs('store-child.ts', ['read-loop', dataDir, projectDir, '2000']),
    runTs('store-child.ts', ['read-loop', dataDir, projectDir, '2000']),
    runTs('store-child.ts', ['write-loop', dataDir, projectDir, '2000']),
    runTs('store-child.ts', ['write-loop', dataDir, projectDir, '2000']),
  ])
  for (const result of [reader1, reader2, writer1, writer2]) assert.equal(result.code, 0, result.stderr)
  for (const reader of [reader1, reader2]) {
    const { reads, torn } = JSON.parse(reader.stdout)
    assert.ok(reads > 100)
    assert.equal(torn, 0)
  }
  assert.ok(JSON.parse(writer1.stdout).writes + JSON.parse(writer2.stdout).writes > 10)
})

test('a corrupt document gives CORRUPT_STATE naming the file, keeps a backup and leaves the file untouched', async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['notes', 'tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const notesFile = join(project.dir, 'notes.json')
  writeFileSync(notesFile, '{"schemaVersion":1,"kind":"notes", "notes": [')
  const bytes = readFileSync(notesFile)
  const isCorrupt = (error: LockstepError) => error.code === 'CORRUPT_STATE' && error.data.file === notesFile
  await assert.rejects(store.transact(project, ['notes'], (docs) => void docs.notes.notes.push({ id: 'note-1', seq: 1, text: 'x', author: 'a', createdAt: '' })), isCorrupt)
  await assert.rejects(store.read(project, 'notes'), isCorrupt)
  assert.deepEqual(readFileSync(notesFile), bytes)
  const backups = readdirSync(join(project.dir, 'backups')).filter((name) => name.startsWith('notes.json.corrupt-'))
  assert.equal(backups.length, 1, 'one backup per distinct content')
  assert.deepEqual(readFileSync(join(project.dir, 'backups', backups[0])), bytes)
  // other documents keep working
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-b')))
  assert.equal((await store.read(project, 'tasks')).tasks.length, 2)
})

test('a document that fails its schema, or has the wrong kind, is corrupt too', async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const file = join(project.dir, 'tasks.json')
  const doc = JSON.parse(readFileSync(file, 'utf8'))
  doc.tasks[0].status = 'finished'
  writeFileSync(file, JSON.stringify(doc))
  await assert.rejects(store.read(project, 'tasks'), (error: LockstepError) => error.code === 'CORRUPT_STATE' && String(error.data.problem).includes('status'))
  writeFileSync(file, JSON.stringify({ ...doc, tasks: [], kind: 'locks' }))
  await assert.rejects(store.read(project, 'tasks'), (error: LockstepError) => error.code === 'CORRUPT_STATE')
  writeFileSync(file, JSON.stringify({ ...doc, tasks: [], schemaVersion: undefined }))
  await assert.rejects(store.read(project, 'tasks'), (error: LockstepError) => error.code === 'CORRUPT_STATE')
})

test('a document from a newer schema gives CONFLICT and is never overwritten', async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const file = join(project.dir, 'tasks.json')
  const newer = readFileSync(file, 'utf8').replace('"schemaVersion": 1', '"schemaVersion": 2')
  writeFileSync(file, newer)
  await assert.rejects(store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.pop()), (error: LockstepError) => error.code === 'CONFLICT')
  assert.equal(readFileSync(file, 'utf8'), newer)
})

test('an older document is migrated by the first transaction, with a copy kept', async (t) => {
  const home = tempDir(t)
  mkdirSync(join(home, 'repo'))
  const v2 = {
    ...DOCUMENTS,
    tasks: { ...DOCUMENTS.tasks, version: 2, migrations: { 1: (doc: Record<string, unknown>) => ({ ...doc, tasks: (doc.tasks as Task[]).map((item) => ({ ...item, title: item.title.toUpperCase() })) }) } },
  }
  const v1Store = new Store({ dataDir: join(home, 'data'), documents: DOCUMENTS })
  const project = v1Store.project(join(home, 'repo'))
  await v1Store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const v2Store = new Store({ dataDir: join(home, 'data'), documents: v2 })
  assert.equal((await v2Store.read(project, 'tasks')).tasks[0].title, 'TASK-A', 'readers migrate in memory')
  assert.equal(JSON.parse(readFileSync(join(project.dir, 'tasks.json'), 'utf8')).schemaVersion, 1)
  await v2Store.transact(project, ['tasks'], () => undefined)
  const onDisk = JSON.parse(readFileSync(join(project.dir, 'tasks.json'), 'utf8'))
  assert.equal(onDisk.schemaVersion, 2)
  assert.equal(onDisk.tasks[0].title, 'TASK-A')
  assert.equal(JSON.parse(readFileSync(join(project.dir, 'backups', 'tasks.v1.json'), 'utf8')).schemaVersion, 1)
})

test('the event log reader skips a torn last line, and the next append repairs it', async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks'], (_docs, tx) => {
    tx.emit({ type: 'custom.a', actor: 'x' })
    tx.emit({ type: 'custom.b', actor: 'x' })
  })
  const file = join(project.dir, 'events.jsonl')
  appendFileSync(file, '{"seq":3,"ts":"2026-')
  const other = new Store({ dataDir: store.dataDir, documents: DOCUMENTS })
  const page = await other.eventReader(project).readSince(0, 10)
  assert.deepEqual(page.events.map((event) => event.type), ['custom.a', 'custom.b'])
  await store.transact(project, ['tasks'], (_docs, tx) => tx.emit({ type: 'custom.c', actor: 'x' }))
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line))
  assert.deepEqual(lines.map((event) => [event.seq, event.type]), [[1, 'custom.a'], [2, 'custom.b'], [3, 'custom.c']])
})

test('event seq stays contiguous under concurrency and across rotation', { timeout: 120_000 }, async (t) => {
  const { store, project, dataDir, projectDir } = storeSetup(t, { rotateBytes: 20_000 })
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-counter', { metadata: { counter: 0 } })))
  const results = await Promise.all(Array.from({ length: 4 }, () => runTs('store-child.ts', ['increment', dataDir, projectDir, '150'], { env: { ROTATE_BYTES: '20000' } })))
  for (const result of results) assert.equal(result.code, 0, result.stderr)
  const segments = readdirSync(project.dir).filter((name) => /^events-\d+-\d+\.jsonl$/.test(name))
  assert.ok(segments.length >= 2 && segments.length <= 8, `segments: ${segments.length}`)
  const seqs: number[] = []
  for (const name of [...segments.sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1])), 'events.jsonl']) {
    for (const line of readFileSync(join(project.dir, name), 'utf8').trimEnd().split('\n')) seqs.push(JSON.parse(line).seq)
  }
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1)
  const rotated = readFileSync(join(project.dir, 'events.jsonl'), 'utf8').split('\n')[0]
  assert.equal(JSON.parse(rotated).type, 'log.rotated')
  const page = await store.eventReader(project).readSince(0, 10)
  assert.equal(page.gap, readdirSync(project.dir).some((name) => name.startsWith('events-1-')) ? false : true)
})

test('a lock held from another host is waited for, then BUSY; once unrefreshed past stale it is taken over', async (t) => {
  const { store, project } = storeSetup(t)
  const quick = new Store({ dataDir: store.dataDir, documents: DOCUMENTS, lockTimeoutMs: 300 })
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const lockDir = join(project.dir, 'tasks.json.lock')
  mkdirSync(lockDir)
  writeFileSync(join(lockDir, 'owner.json'), JSON.stringify({ pid: 1, host: 'elsewhere', token: 'foreign', acquiredAt: Date.now() }))
  await assert.rejects(quick.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.pop()), (error: LockstepError) => error.code === 'BUSY')
  assert.equal((await store.read(project, 'tasks')).tasks.length, 1)
  const { utimesSync } = await import('node:fs')
  const old = new Date(Date.now() - 11_000)
  utimesSync(lockDir, old, old)
  await quick.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.pop())
  assert.equal((await store.read(project, 'tasks')).tasks.length, 0)
})

test('a lock held longer than its refresh interval stays ours and is never seen as taken over', { timeout: 30_000 }, async (t) => {
  const { project } = storeSetup(t)
  mkdirSync(project.dir, { recursive: true })
  const { acquireFileLock } = await import('../storage/lockfile.js')
  const held = await acquireFileLock(join(project.dir, 'git'), Date.now() + 1000)
  await new Promise((resolve) => setTimeout(resolve, 4500))
  assert.equal(held.compromised, false)
  assert.equal(await held.stillHeld(), true)
  await held.release()
  assert.equal(existsSync(join(project.dir, 'git.lock')), false)
})
