import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { acquireFileLock } from '../storage/lockfile.js'
import { LockstepError } from '../lib/errors.js'
import { runTs } from './helpers.js'
import { storeSetup, task } from './store-helpers.js'



/** What a stale takeover by another process leaves: the lock folder replaced by one signed by someone else. */
function takeOver(lockDir: string): void {
  renameSync(lockDir, `${lockDir}.old`)
  rmSync(`${lockDir}.old`, { recursive: true, force: true })
  mkdirSync(lockDir)
  writeFileSync(join(lockDir, 'owner.json'), JSON.stringify({ pid: 1, host: 'elsewhere', token: 'thief', acquiredAt: Date.now() }))
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

test('6 processes each set their own field of one task 40 times: every update survives', { timeout: 120_000 }, async (t) => {
  const { store, project, dataDir, projectDir } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-shared')))
  const fields = Array.from({ length: 6 }, (_, i) => `f${i}`)
  const results = await Promise.all(fields.map((field) => runTs('store-child.ts', ['fields', dataDir, projectDir, field, '40'])))
  for (const result of results) assert.equal(result.code, 0, result.stderr)
  const onDisk = JSON.parse(readFileSync(join(project.dir, 'tasks.json'), 'utf8'))
  assert.deepEqual(onDisk.tasks[0].metadata, Object.fromEntries(fields.map((field) => [field, 40])))
  assert.equal(onDisk.tasks[0].version, 1 + 6 * 40)
  assert.equal(onDisk.rev, 1 + 6 * 40)
})

test('releasing a lock that was taken over leaves the new holder its lock', async (t) => {
  const { project } = storeSetup(t)
  mkdirSync(project.dir, { recursive: true })
  const held = await acquireFileLock(join(project.dir, 'tasks.json'), Date.now() + 1000)
  const lockDir = join(project.dir, 'tasks.json.lock')
  takeOver(lockDir)
  assert.equal(await held.stillHeld(), false)
  await held.release()
  assert.equal(JSON.parse(readFileSync(join(lockDir, 'owner.json'), 'utf8')).token, 'thief')
})

test('a lock lost during the transaction writes no document, not even one whose own lock is still held', async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks', 'locks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const tasksFile = join(project.dir, 'tasks.json')
  const before = readFileSync(tasksFile, 'utf8')
  await assert.rejects(
    store.transact(project, ['tasks', 'locks'], (docs, tx) => {
      docs.tasks.tasks.push(task('task-b'))
      tx.emit({ type: 'task.created', actor: 'x' })
      takeOver(join(project.dir, 'locks.json.lock'))
    }),
    (error: LockstepError) => error.code === 'BUSY',
  )
  assert.equal(readFileSync(tasksFile, 'utf8'), before)
  assert.deepEqual(readdirSync(project.dir).filter((name) => name.endsWith('.tmp')), [])
  assert.equal(JSON.parse(readFileSync(join(project.dir, 'locks.json.lock', 'owner.json'), 'utf8')).token, 'thief')
  rmSync(join(project.dir, 'locks.json.lock'), { recursive: true, force: true })
  await store.transact(project, ['tasks', 'locks'], (docs) => void docs.tasks.tasks.push(task('task-b')))
  assert.deepEqual((await store.read(project, 'tasks')).tasks.map((item) => item.id), ['task-a', 'task-b'])
})

test('a commit whose document locks took most of the deadline still gets its events appended', { timeout: 30_000 }, async (t) => {
  const { store, project } = storeSetup(t, { lockTimeoutMs: 2000 })
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const tasksLock = await acquireFileLock(join(project.dir, 'tasks.json'), Date.now() + 1000)
  const eventsLock = await acquireFileLock(join(project.dir, 'events.jsonl'), Date.now() + 1000)
  // the deadline of the document locks passes while the events lock is still held
  setTimeout(() => void tasksLock.release(), 1500)
  setTimeout(() => void eventsLock.release(), 2600)
  const { commit } = await store.transactCommit(project, ['tasks'], (docs, tx) => {
    docs.tasks.tasks.push(task('task-b'))
    tx.emit({ type: 'task.created', actor: 'x' })
  })
  assert.deepEqual(commit.changed, ['tasks'])
  assert.deepEqual(commit.events.map((event) => event.seq), [1])
})

test('SIGTERM releases the locks a process holds', { timeout: 30_000 }, async (t) => {
  const { store, project, dataDir, projectDir } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const script = join(import.meta.dirname, 'store-child.ts')
  const child = spawn(process.execPath, ['--import', 'tsx', script, 'hold-lock', dataDir, projectDir, 'tasks.json'], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve) => child.stdout.on('data', (chunk) => String(chunk).includes('holding') && resolve()))
  assert.equal(existsSync(join(project.dir, 'tasks.json.lock')), true)
  child.kill('SIGTERM')
  await new Promise((resolve) => child.on('close', resolve))
  assert.equal(existsSync(join(project.dir, 'tasks.json.lock')), false)
})

test('a waiter that crashed in the queue delays the next one by about 2 s at most, and its entry is cleaned up', { timeout: 30_000 }, async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const queueDir = join(project.dir, 'tasks.json.lock.queue')
  mkdirSync(queueDir, { recursive: true })
  const crashed = `${String(Date.now() - 10).padStart(15, '0')}-999999-deadbeefdeadbeef`
  writeFileSync(join(queueDir, crashed), '')
  const started = Date.now()
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-b')))
  assert.ok(Date.now() - started < 3500, `took ${Date.now() - started} ms`)
  assert.deepEqual(readdirSync(queueDir), [])
})

test('lock and queue folders are private (0700), and so are the files in them (0600)', { skip: process.platform === 'win32' }, async (t) => {
  const { project } = storeSetup(t)
  mkdirSync(project.dir, { recursive: true })
  const held = await acquireFileLock(join(project.dir, 'tasks.json'), Date.now() + 1000)
  const waiting = acquireFileLock(join(project.dir, 'tasks.json'), Date.now() + 5000)
  await sleep(100)
  assert.equal(statSync(join(project.dir, 'tasks.json.lock')).mode & 0o777, 0o700)
  assert.equal(statSync(join(project.dir, 'tasks.json.lock', 'owner.json')).mode & 0o777, 0o600)
  const queueDir = join(project.dir, 'tasks.json.lock.queue')
  assert.equal(statSync(queueDir).mode & 0o777, 0o700)
  for (const name of readdirSync(queueDir)) assert.equal(statSync(join(queueDir, name)).mode & 0o777, 0o600)
  await held.release()
  await (await waiting).release()
})
