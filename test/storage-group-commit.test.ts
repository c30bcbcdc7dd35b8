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
  const { writeSync, fdatasyncSync } = fs
  let left = failSyncs
  fs.writeSync = ((fd: number, buffer: unknown, ...rest: unknown[]) => {
    const id = Buffer.isBuffer(buffer) ? /"id":"(task-g\d+)"/.exec(buffer.toString('utf8'))?.[1] : undefined
    const written = (writeSync as (...args: unknown[]) => number)(fd, buffer, ...rest)
    if (id) log.push(`write ${id}`)
    return written
  }) as typeof fs.writeSync
  fs.fdatasyncSync = ((fd: number) => {
    if (left > 0) {
      left--
      log.push('sync failed')
      throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' })
    }
    fdatasyncSync(fd)
    log.push('sync')
  }) as typeof fs.fdatasyncSync
  t.after(() => {
    fs.writeSync = writeSync
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
    assert.ok(log.slice(written, acked).includes('sync'), `${id} was answered before an fdatasync covered it`)
  }
  assert.deepEqual(
    (await readStored(project.dir, 'tasks')).tasks.map((item) => item.id),
    ['task-first', ...ids],
  )
})

test('a failed shared fdatasync fails every commit it was to cover, leaves none of their lines, and the next commit lands', async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-first')))
  watchJournal(t, 1)
  const ids = Array.from({ length: 10 }, (_, i) => `task-g${i}`)
  const outcomes = await Promise.allSettled(ids.map((id) => store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task(id)))))
  for (const outcome of outcomes) {
    assert.equal(outcome.status, 'rejected')
    assert.ok(outcome.reason instanceof LockstepError && outcome.reason.code === 'BUSY' && outcome.reason.data.cause === 'EIO')
  }
  assert.deepEqual(
    (await readStored(project.dir, 'tasks')).tasks.map((item) => item.id),
    ['task-first'],
  )
  // this process rebuilds from the journal: none of the failed commits is seen here either
  assert.deepEqual(
    (await store.read(project, 'tasks')).tasks.map((item) => item.id),
    ['task-first'],
  )
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-after')))
  assert.deepEqual(
    (await readStored(project.dir, 'tasks')).tasks.map((item) => item.id),
    ['task-first', 'task-after'],
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
