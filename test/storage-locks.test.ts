import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import test from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { LockstepError } from '../lib/errors.js'
import { Journal } from '../storage/journal/journal.js'
import { Store } from '../storage/store.js'
import { DOCUMENTS } from '../lib/state/schema.js'
import { runTs, tempDir } from './support/helpers.js'
import { storeChild as child, storeOutput as output, storeSetup, task } from './support/store-helpers.js'
import { readStored } from './support/stored.js'

test('8 processes x 200 increments give exactly 1,600, with event seqs 1..1600 and no gap', { timeout: 120_000 }, async (t) => {
  const { store, project, dataDir, projectDir } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-counter', { metadata: { counter: 0 } })))
  const results = await Promise.all(Array.from({ length: 8 }, () => runTs('store-child.ts', ['increment', dataDir, projectDir, '200'])))
  for (const result of results) assert.equal(result.code, 0, result.stderr)
  assert.equal((await readStored(project.dir, 'tasks')).tasks[0].metadata.counter, 1600)
  const page = await store.eventReader(project).readSince(0, 5000)
  assert.deepEqual(
    page.events.map((event) => event.seq),
    Array.from({ length: 1600 }, (_, i) => i + 1),
  )
})

test('8 processes racing to claim 400 items claim each exactly once, each with its lock', { timeout: 120_000 }, async (t) => {
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
  const locks = (await readStored(project.dir, 'locks')).locks
  for (const item of (await readStored(project.dir, 'tasks')).tasks) {
    assert.equal(item.owner, claimed.get(item.id))
    assert.deepEqual(
      locks.filter((lock) => lock.path === item.id).map((lock) => lock.owner),
      [item.owner],
    )
  }
})

test('a holder killed with SIGKILL mid-transaction is broken at once: the next write lands within 2 s', { timeout: 60_000 }, async (t) => {
  const { store, project, dataDir, projectDir } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const holder = child(['hold', dataDir, projectDir])
  await new Promise<void>((resolve) => holder.stdout!.on('data', (chunk) => String(chunk).includes('holding') && resolve()))
  holder.kill('SIGKILL')
  await new Promise((resolve) => holder.on('close', resolve))
  const started = Date.now()
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-b')))
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`)
  assert.deepEqual(
    (await readStored(project.dir, 'tasks')).tasks.map((item) => item.id),
    ['task-a', 'task-b'],
  )
})

test('a live holder stopped past every timeout keeps its lock, and its commit lands whole when it resumes', { timeout: 60_000 }, async (t) => {
  const { project, dataDir, projectDir, store } = storeSetup(t, { lockTimeoutMs: 1000 })
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const signal = join(tempDir(t), 'stopped')
  const stalled = child(['add', dataDir, projectDir, 'task-stalled'], { FAULT: 'stop-before-append', FAULT_SIGNAL: signal }, true)
  const result = output(stalled)
  while (!existsSync(signal)) await sleep(20)
  await sleep(11_000)
  // another agent cannot commit while the stopped holder lives: BUSY, and nothing of its own is written
  const other = new Store({ dataDir, documents: DOCUMENTS, lockTimeoutMs: 500 })
  await assert.rejects(
    other.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-other'))),
    (error: LockstepError) => error.code === 'BUSY',
  )
  stalled.kill('SIGCONT')
  assert.equal(await result, 'committed')
  assert.deepEqual(
    (await readStored(project.dir, 'tasks')).tasks.map((item) => item.id),
    ['task-a', 'task-stalled'],
  )
  other.close()
})

test('a holder whose lock was broken while it stalled finds its commit void and says BUSY; the other commit stands', { timeout: 60_000 }, async (t) => {
  const { project, dataDir, projectDir, store } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const signal = join(tempDir(t), 'stopped')
  const stalled = child(['add', dataDir, projectDir, 'task-stalled'], { FAULT: 'stop-before-append', FAULT_SIGNAL: signal }, true)
  const result = output(stalled)
  while (!existsSync(signal)) await sleep(20)
  // as a breaker on another machine would, once the lock went unrefreshed past its stale time
  const { rmSync } = await import('node:fs')
  rmSync(join(project.dir, 'journal.lock'), { force: true })
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-winner')))
  stalled.kill('SIGCONT')
  assert.equal(await result, 'error BUSY')
  assert.deepEqual(
    (await readStored(project.dir, 'tasks')).tasks.map((item) => item.id),
    ['task-a', 'task-winner'],
  )
  // its line is in the file, void: counted as such, not as an unreadable line
  const journal = new Journal(project.dir)
  journal.open({ seq: 0, eventSeq: 0, offset: 0 })
  journal.catchUp(() => undefined)
  assert.deepEqual([journal.voided, journal.unreadable], [1, 0])
  journal.close()
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-after')))
  assert.deepEqual(
    (await readStored(project.dir, 'tasks')).tasks.map((item) => item.id),
    ['task-a', 'task-winner', 'task-after'],
  )
})

test('a holder stopped after its append, its lock broken meanwhile: both its commit and the next one count', { timeout: 60_000 }, async (t) => {
  const { project, dataDir, projectDir, store } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const signal = join(tempDir(t), 'stopped')
  const stalled = child(['add', dataDir, projectDir, 'task-stalled'], { FAULT: 'stop-after-append', FAULT_SIGNAL: signal }, true)
  const result = output(stalled)
  while (!existsSync(signal)) await sleep(20)
  const { rmSync } = await import('node:fs')
  rmSync(join(project.dir, 'journal.lock'), { force: true })
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-next')))
  stalled.kill('SIGCONT')
  assert.equal(await result, 'committed')
  assert.deepEqual(
    (await readStored(project.dir, 'tasks')).tasks.map((item) => item.id),
    ['task-a', 'task-stalled', 'task-next'],
  )
})

test('a holder killed right after its commit: the next writer lands its archive append, exactly once', { timeout: 60_000 }, async (t) => {
  const { project, dataDir, projectDir, store } = storeSetup(t)
  await store.transact(project, ['notes'], (docs) => void docs.notes.nextSeq++)
  const killed = child(['archive', dataDir, projectDir, 'archived-line'], { FAULT: 'kill-after-append' }, true)
  await output(killed)
  const archive = join(project.dir, 'notes-archive.jsonl')
  assert.equal(existsSync(archive), false, 'the committer died before its append')
  await store.transact(project, ['notes'], (docs) => void docs.notes.nextSeq++)
  await store.transact(project, ['notes'], (docs) => void docs.notes.nextSeq++)
  assert.equal(readFileSync(archive, 'utf8'), 'archived-line\n')
  const again = child(['archive', dataDir, projectDir, 'second'])
  assert.equal(await output(again), 'committed')
  assert.equal(readFileSync(archive, 'utf8'), 'archived-line\nsecond\n')
})
