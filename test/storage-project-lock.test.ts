import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, lstatSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import test from 'node:test'
import { LockstepError } from '../lib/errors.js'
import { Store } from '../storage/store.js'
import { MACHINE, processStartTime } from '../storage/host.js'
import { DOCUMENTS } from '../lib/state/schema.js'
import { readLock } from '../storage/locks/project-lock.js'
import { storeChild as child, storeExit as exit, storeSetup, task } from './support/store-helpers.js'
import { readStored } from './support/stored.js'

const posixOnly = process.platform === 'win32' ? 'the lock is a hard link on POSIX only' : false
const owners = (dir: string) => readdirSync(dir).filter((name) => name.startsWith('journal.lock.') && name.endsWith('.owner'))

test('the lock is a link to its holder’s owner file: held, it names the holder; released, only the owner file stays', { skip: posixOnly }, async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => {
    const lock = join(project.dir, 'journal.lock')
    const [own] = owners(project.dir)
    // no new inode per commit: the lock and the owner file are one file
    assert.equal(lstatSync(lock).ino, lstatSync(join(project.dir, own)).ino)
    assert.deepEqual(readLock(lock)?.owner, { pid: process.pid, st: processStartTime(process.pid) ?? '-', machine: MACHINE, t: readFileSync(lock, 'utf8').split(' ')[3] })
    docs.tasks.tasks.push(task('task-a'))
  })
  assert.equal(existsSync(join(project.dir, 'journal.lock')), false)
  assert.equal(owners(project.dir).length, 1)
})

test('a process removes its owner file when it exits, and the owner file of a killed one goes with the next writer', { skip: posixOnly, timeout: 60_000 }, async (t) => {
  const { store, project, dataDir, projectDir } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const [mine] = owners(project.dir)
  const exited = child(['add', dataDir, projectDir, 'task-b'])
  assert.equal(await exit(exited), 0)
  assert.deepEqual(owners(project.dir), [mine])
  const killed = child(['hold', dataDir, projectDir])
  await new Promise<void>((resolve) => killed.stdout!.on('data', (chunk) => String(chunk).includes('holding') && resolve()))
  assert.equal(owners(project.dir).length, 2)
  killed.kill('SIGKILL')
  await exit(killed)
  // a new process (the owner files are looked over once per process and project) breaks the lock and clears the file
  const next = child(['add', dataDir, projectDir, 'task-c'])
  assert.equal(await exit(next), 0)
  assert.deepEqual(owners(project.dir), [mine])
  assert.deepEqual(
    (await readStored(project.dir, 'tasks')).tasks.map((item) => item.id),
    ['task-a', 'task-b', 'task-c'],
  )
})

test('an owner file removed by hand is written again, and the next commits still land', { skip: posixOnly }, async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const { rmSync } = await import('node:fs')
  for (const name of owners(project.dir)) rmSync(join(project.dir, name))
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-b')))
  assert.equal(owners(project.dir).length, 1)
  assert.deepEqual(
    (await readStored(project.dir, 'tasks')).tasks.map((item) => item.id),
    ['task-a', 'task-b'],
  )
})

test('a lock left by the older version (a symbolic link naming its owner) is honoured: a dead owner is broken, a live one waited on', { skip: posixOnly, timeout: 30_000 }, async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const lock = join(project.dir, 'journal.lock')
  const gone = spawn(process.execPath, ['-e', '0'])
  await new Promise((resolve) => gone.on('close', resolve))
  symlinkSync(`${gone.pid} - ${MACHINE} deadbeef`, lock)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-b')))
  const alive = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
  t.after(() => alive.kill('SIGKILL'))
  symlinkSync(`${alive.pid} ${processStartTime(alive.pid!) ?? '-'} ${MACHINE} cafebabe`, lock)
  const waiting = new Store({ dataDir: store.dataDir, documents: DOCUMENTS, lockTimeoutMs: 500 })
  t.after(() => waiting.close())
  const error = await waiting.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-c'))).catch((caught: unknown) => caught)
  assert.ok(error instanceof LockstepError && error.code === 'BUSY')
  assert.equal((error.data.holder as { pid: number }).pid, alive.pid)
  assert.deepEqual(
    (await readStored(project.dir, 'tasks')).tasks.map((item) => item.id),
    ['task-a', 'task-b'],
  )
})

test('an unreadable lock file is judged by its age alone, and a fresh one is waited on', { skip: posixOnly }, async (t) => {
  const { store, project } = storeSetup(t, { lockTimeoutMs: 300 })
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  writeFileSync(join(project.dir, 'journal.lock'), 'not an owner')
  await assert.rejects(
    store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-b'))),
    (error: LockstepError) => error.code === 'BUSY',
  )
})

test('on a filesystem without hard links the lock is a file created exclusively, and it still admits one writer at a time', { skip: posixOnly, timeout: 120_000 }, async (t) => {
  const { store, project, dataDir, projectDir } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-counter', { metadata: { counter: 0 } })))
  const racers = [{ FAULT: 'no-links' }, { FAULT: 'no-links' }, {}].map((env) => child(['increment', dataDir, projectDir, '150'], env, true))
  const codes = await Promise.all(racers.map(exit))
  assert.deepEqual(codes, [0, 0, 0])
  assert.equal((await readStored(project.dir, 'tasks')).tasks[0].metadata.counter, 450)
  const page = await store.eventReader(project).readSince(0, 1000)
  assert.deepEqual(
    page.events.map((event) => event.seq),
    Array.from({ length: 450 }, (_, i) => i + 1),
  )
})
