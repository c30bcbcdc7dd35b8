import assert from 'node:assert/strict'
import fs from 'node:fs'
import { join } from 'node:path'
import test from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { LockstepError } from '../lib/errors.js'
import { DOCUMENTS } from '../lib/state/schema.js'
import { Store } from '../storage/store.js'
import { tempDir } from './support/helpers.js'
import { storeChild as child, storeOutput as output, storeSetup, task } from './support/store-helpers.js'
import { journalBytes, readStored } from './support/stored.js'

// When the fdatasync of a commit's line fails, the commit fails; its line is cut back only under the project lock, so
// that a writer caught up past it never appends where it was. The journal's fdatasyncs are held here, in this process,
// by wrapping fs.fdatasync (fs.fdatasyncSync for the inline sync): the test fails one at the moment it chooses.

const eio = () => Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' })

/** The first fdatasync on the thread pool waits until `fail()`, which fails it with EIO; later ones run as usual. */
function holdFirstSync(t: { after: (fn: () => void) => void }) {
  const { fdatasync } = fs
  let held: ((error: NodeJS.ErrnoException | null) => void) | null = null
  let calls = 0
  fs.fdatasync = ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
    if (calls++ === 0) held = callback
    else fdatasync(fd, callback)
  }) as typeof fs.fdatasync
  t.after(() => void (fs.fdatasync = fdatasync))
  return {
    waiting: () => held !== null,
    fail: () => {
      const callback = held!
      held = null
      callback(eio())
    },
  }
}

/** The first inline fdatasync fails with EIO; later ones run as usual. */
function failFirstInlineSync(t: { after: (fn: () => void) => void }) {
  const { fdatasyncSync } = fs
  let calls = 0
  fs.fdatasyncSync = ((fd: number) => {
    if (calls++ === 0) throw eio()
    fdatasyncSync(fd)
  }) as typeof fs.fdatasyncSync
  t.after(() => void (fs.fdatasyncSync = fdatasyncSync))
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(5)
  }
}

const ids = (tasks: { id: string }[]) => tasks.map((item) => item.id)

/** The error of a commit whose fdatasync failed: BUSY naming EIO, and `kept: 'unknown'` exactly when its line stayed. */
function assertSyncFailure(outcome: PromiseSettledResult<unknown>, id: string, stored: string[]): void {
  assert.equal(outcome.status, 'rejected', `${id} was acknowledged though its fdatasync failed`)
  const error = (outcome as PromiseRejectedResult).reason as LockstepError
  assert.ok(error instanceof LockstepError, String(error))
  assert.equal(error.code, 'BUSY')
  assert.equal(error.data.cause, 'EIO')
  assert.equal(error.data.kept, stored.includes(id) ? 'unknown' : undefined, `${id}: what its error says was kept does not match the journal`)
}

/** What a fresh process reads, and what this one reads: the same, and no CORRUPT_STATE. */
async function assertReadable(store: Store<typeof DOCUMENTS>, dataDir: string, project: ReturnType<Store<typeof DOCUMENTS>['project']>): Promise<string[]> {
  const stored = ids((await readStored(project.dir, 'tasks')).tasks)
  const fresh = new Store({ dataDir, documents: DOCUMENTS })
  try {
    assert.deepEqual(ids((await fresh.read(project, 'tasks')).tasks), stored)
  } finally {
    fresh.close()
  }
  assert.deepEqual(ids((await store.read(project, 'tasks')).tasks), stored)
  return stored
}

test('a failed fdatasync while a later commit of the process holds the lock, caught up past the line, leaves the journal readable', async (t) => {
  const { store, project, dataDir } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-first')))
  const sync = holdFirstSync(t)
  const a = store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  let failedUnderLock = false
  const c = store.transact(project, ['tasks'], (docs, tx) => {
    docs.tasks.tasks.push(task('task-c'))
    tx.beforeWrite(async () => {
      // this commit holds the lock and has read task-a's line when task-a's fdatasync fails
      await until(sync.waiting, "task-a's fdatasync runs")
      sync.fail()
      failedUnderLock = true
      await sleep(50)
    })
  })
  const [outcomeA, outcomeC] = await Promise.allSettled([a, c])
  assert.ok(failedUnderLock)
  const stored = await assertReadable(store, dataDir, project)
  assertSyncFailure(outcomeA, 'task-a', stored)
  if (outcomeC.status === 'fulfilled') assert.ok(stored.includes('task-c'), 'task-c was acknowledged but is not in the journal')
  else if ((outcomeC.reason as LockstepError).data?.kept !== 'unknown') assert.ok(!stored.includes('task-c'), 'task-c failed but is in the journal')
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-after')))
  assert.deepEqual(await assertReadable(store, dataDir, project), [...stored, 'task-after'])
})

test(
  'a failed fdatasync while another process holds the lock, caught up past the line, leaves the line: both stay readable',
  { skip: process.platform === 'win32' ? 'SIGSTOP' : false, timeout: 60_000 },
  async (t) => {
    const { store, project, dataDir, projectDir } = storeSetup(t)
    await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-first')))
    store.syncInline = false
    const sync = holdFirstSync(t)
    const a = Promise.allSettled([store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))])
    await until(sync.waiting, "task-a's fdatasync runs")
    // the other process takes the lock task-a released, reads task-a's line, and stops right before its own append
    const signal = join(tempDir(t), 'stopped')
    const other = child(['add', dataDir, projectDir, 'task-c'], { FAULT: 'stop-before-append', FAULT_SIGNAL: signal }, true)
    // a stopped child left behind would keep this file's process alive
    t.after(() => void other.kill('SIGKILL'))
    const said = output(other)
    await until(() => fs.existsSync(signal), 'the other process stops before its append')
    sync.fail()
    let settled = false
    void a.then(() => (settled = true))
    await until(() => settled, "task-a's commit is answered after its fdatasync failed")
    const [settledA] = await a
    other.kill('SIGCONT')
    const result = await said
    const stored = await assertReadable(store, dataDir, project)
    assertSyncFailure(settledA!, 'task-a', stored)
    assert.equal(result === 'committed', stored.includes('task-c'), `the other process said ${result}`)
    await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-after')))
    assert.deepEqual(await assertReadable(store, dataDir, project), [...stored, 'task-after'])
  },
)

for (const inline of [true, false]) {
  test(`a failed fdatasync ${inline ? 'inline' : 'on the thread pool'} while nobody holds the lock cuts its line back`, async (t) => {
    const { store, project, dataDir } = storeSetup(t)
    await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-first')))
    const before = journalBytes(project.dir)
    store.syncInline = inline
    const sync = inline ? null : holdFirstSync(t)
    if (inline) failFirstInlineSync(t)
    const a = Promise.allSettled([store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))])
    if (sync) {
      await until(sync.waiting, "task-a's fdatasync runs")
      sync.fail()
    }
    const [outcome] = await a
    assert.equal(journalBytes(project.dir), before)
    const stored = await assertReadable(store, dataDir, project)
    assert.deepEqual(stored, ['task-first'])
    assertSyncFailure(outcome!, 'task-a', stored)
    await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-after')))
    assert.deepEqual(await assertReadable(store, dataDir, project), ['task-first', 'task-after'])
  })
}

test('a failed fdatasync of a commit that keeps the lock until its line is durable cuts its line back, and its file append never lands', async (t) => {
  const { store, project, dataDir } = storeSetup(t)
  await store.transact(project, ['tasks', 'notes'], (docs) => void docs.tasks.tasks.push(task('task-first')))
  const before = journalBytes(project.dir)
  const { nextSeq } = await readStored(project.dir, 'notes')
  store.syncInline = false
  const sync = holdFirstSync(t)
  const a = Promise.allSettled([
    store.transact(project, ['tasks', 'notes'], (docs, tx) => {
      docs.tasks.tasks.push(task('task-a'))
      docs.notes.nextSeq++
      tx.appendFile('notes-archive.jsonl', 'archived\n')
    }),
  ])
  await until(sync.waiting, "task-a's fdatasync runs")
  sync.fail()
  const [outcome] = await a
  assert.equal(journalBytes(project.dir), before)
  assert.equal(fs.existsSync(join(project.dir, 'notes-archive.jsonl')), false)
  assert.equal((await readStored(project.dir, 'notes')).nextSeq, nextSeq)
  const stored = await assertReadable(store, dataDir, project)
  assert.deepEqual(stored, ['task-first'])
  assertSyncFailure(outcome!, 'task-a', stored)
})

test('a commit whose journal was cut back under it after its catch-up writes nothing and says BUSY; the journal stays readable', async (t) => {
  const { store, project, dataDir } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-first')))
  const before = journalBytes(project.dir)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-b')))
  const c = Promise.allSettled([
    store.transact(project, ['tasks'], (docs, tx) => {
      docs.tasks.tasks.push(task('task-c'))
      // as a cut made without the lock would: task-b's line, read by this commit, is gone before it appends
      tx.beforeWrite(async () => fs.truncateSync(join(project.dir, 'journal.jsonl'), before))
    }),
  ])
  const [outcome] = await c
  assert.equal(outcome!.status, 'rejected')
  assert.equal(((outcome as PromiseRejectedResult).reason as LockstepError).code, 'BUSY')
  assert.equal(journalBytes(project.dir), before)
  assert.deepEqual(await assertReadable(store, dataDir, project), ['task-first'])
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-after')))
  assert.deepEqual(await assertReadable(store, dataDir, project), ['task-first', 'task-after'])
})
