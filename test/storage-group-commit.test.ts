import assert from 'node:assert/strict'
import fs from 'node:fs'
import test from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { LockstepError } from '../lib/errors.js'
import { storeSetup, task } from './support/store-helpers.js'
import { readStored } from './support/stored.js'

// Commits queued in one process share an fdatasync: each is answered only after one that began after its line was
// written. The journal's calls are watched here, in this process, by wrapping the file-system functions it uses.
function watchJournal(t: { after: (fn: () => void) => void }, failSyncs = 0) {
  const log: string[] = []
  const { writeSync, fdatasync, fdatasyncSync } = fs
  let left = failSyncs
  const eio = () => Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' })
  fs.writeSync = ((fd: number, buffer: unknown, ...rest: unknown[]) => {
    const id = Buffer.isBuffer(buffer) ? /"id":"(task-g\d+)"/.exec(buffer.toString('utf8'))?.[1] : undefined
    const written = (writeSync as (...args: unknown[]) => number)(fd, buffer, ...rest)
    if (id) log.push(`write ${id}`)
    return written
  }) as typeof fs.writeSync
  fs.fdatasync = ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
    log.push('sync start')
    if (left > 0) {
      left--
      return setTimeout(() => {
        log.push('sync failed')
        callback(eio())
      }, 5)
    }
    fdatasync(fd, (error) => {
      log.push(error ? 'sync failed' : 'sync')
      callback(error)
    })
  }) as typeof fs.fdatasync
  fs.fdatasyncSync = ((fd: number) => {
    log.push('sync start')
    fdatasyncSync(fd)
    log.push('sync')
  }) as typeof fs.fdatasyncSync
  t.after(() => {
    fs.writeSync = writeSync
    fs.fdatasync = fdatasync
    fs.fdatasyncSync = fdatasyncSync
  })
  return log
}

test('commits queued in one process share fdatasyncs, and each is answered only after one that covers its line', async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-first')))
  const log = watchJournal(t)
  const ids = Array.from({ length: 20 }, (_, i) => `task-g${i}`)
  await Promise.all(ids.map((id) => store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task(id))).then(() => log.push(`ack ${id}`))))
  const syncs = log.filter((entry) => entry === 'sync').length
  assert.ok(syncs >= 1 && syncs < 20, `${syncs} fdatasyncs for 20 commits`)
  for (const id of ids) {
    const written = log.indexOf(`write ${id}`)
    const acked = log.indexOf(`ack ${id}`)
    assert.ok(written >= 0 && acked > written, id)
    // one fdatasync runs at a time per journal: the next 'sync' after a start is that one's completion
    const started = log.indexOf('sync start', written)
    const completed = log.indexOf('sync', started)
    assert.ok(started > written && completed > started && completed < acked, `${id} was answered before an fdatasync begun after its write completed`)
  }
  assert.deepEqual(
    (await readStored(project.dir, 'tasks')).tasks.map((item) => item.id),
    ['task-first', ...ids],
  )
})

test('a failed shared fdatasync fails every commit written before it failed, leaves none of the lines it cut back, and later commits land', async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-first')))
  const log = watchJournal(t, 1)
  const ids = Array.from({ length: 10 }, (_, i) => `task-g${i}`)
  const outcomes = await Promise.allSettled(ids.map((id) => store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task(id)))))
  const failedAt = log.indexOf('sync failed')
  const onDisk = new Set((await readStored(project.dir, 'tasks')).tasks.map((item) => item.id))
  // in the journal: the acknowledged commits, and failed ones whose lines stayed (another commit held the lock)
  const inJournal: string[] = []
  outcomes.forEach((outcome, i) => {
    const writtenBefore = log.indexOf(`write ${ids[i]}`) < failedAt
    if (outcome.status === 'rejected') {
      assert.ok(outcome.reason instanceof LockstepError && outcome.reason.code === 'BUSY' && outcome.reason.data.cause === 'EIO')
      assert.ok(writtenBefore, `${ids[i]} failed though written after the failure`)
      if (outcome.reason.data.kept === 'unknown' && onDisk.has(ids[i]!)) inJournal.push(ids[i]!)
    } else {
      assert.ok(!writtenBefore, `${ids[i]} was acknowledged though its line was written before the failed fdatasync`)
      inJournal.push(ids[i]!)
    }
  })
  assert.ok(outcomes[0]!.status === 'rejected', 'the first commit was covered by the failing fdatasync')
  assert.deepEqual([...onDisk], ['task-first', ...inJournal])
  // this process rebuilds from the journal: none of the failed commits cut back is seen here either
  assert.deepEqual(
    (await store.read(project, 'tasks')).tasks.map((item) => item.id),
    ['task-first', ...inJournal],
  )
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-after')))
  assert.deepEqual(
    (await readStored(project.dir, 'tasks')).tasks.map((item) => item.id),
    ['task-first', ...inJournal, 'task-after'],
  )
})

test('a commit waiting on a shared fdatasync is answered within milliseconds when the next commit is slow', async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-first')))
  const answered: string[] = []
  const fast = store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-fast'))).then(() => answered.push('fast'))
  const slow = store
    .transact(project, ['tasks'], (docs, tx) => {
      docs.tasks.tasks.push(task('task-slow'))
      tx.beforeWrite(() => sleep(400))
    })
    .then(() => answered.push('slow'))
  const started = Date.now()
  await fast
  assert.ok(Date.now() - started < 300, `the fast commit waited ${Date.now() - started} ms`)
  await slow
  assert.deepEqual(answered, ['fast', 'slow'])
})
