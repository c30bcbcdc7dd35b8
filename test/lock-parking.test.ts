import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { Store } from '../storage/store.js'
import { acquireFileLock } from '../storage/lockfile.js'
import { isDeadHere, readOwner, removeLockDir, sweepParkedLocks } from '../storage/parked-locks.js'
import { DOCUMENTS } from '../lib/schema.js'
import { rejectsWith, runTs } from './helpers.js'
import { storeSetup } from './store-helpers.js'


const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const parkedOf = (dir: string, pid = process.pid) => readdirSync(dir).filter((name) => name.startsWith('tasks.json.lock.parked-') && name.includes(`-${pid}-`))

test('a released lock folder is parked under its own name, and the next taking renames that same folder back', async (t) => {
  const { project } = storeSetup(t)
  mkdirSync(project.dir, { recursive: true })
  const file = join(project.dir, 'tasks.json')
  const first = await acquireFileLock(file, Date.now() + 1000)
  const lockIno = statSync(`${file}.lock`).ino
  await first.release()
  assert.equal(existsSync(`${file}.lock`), false)
  const parked = parkedOf(project.dir)
  assert.equal(parked.length, 1)
  assert.equal(statSync(join(project.dir, parked[0])).ino, lockIno)
  const owner = JSON.parse(readFileSync(join(project.dir, parked[0], 'owner.json'), 'utf8'))
  assert.deepEqual([owner.pid, owner.host, typeof owner.token], [process.pid, hostname(), 'string'])
  if (process.platform === 'linux') assert.match(owner.runtime, /^[0-9a-f-]{36} pid:\[\d+\]$/)

  await sleep(20)
  const second = await acquireFileLock(file, Date.now() + 1000)
  assert.equal(statSync(`${file}.lock`).ino, lockIno)
  assert.deepEqual(parkedOf(project.dir), [])
  // each taking signs the owner file anew: the first holder no longer counts as holding
  assert.equal(await first.stillHeld(), false)
  assert.equal(await second.stillHeld(), true)
  // the owner file's mtime is when the lock was taken
  assert.ok(Math.abs(statSync(join(`${file}.lock`, 'owner.json')).mtimeMs - Date.now()) < 1000)
  await second.release()
})

test('an empty folder under the lock name counts as held: it is never renamed over', async (t) => {
  const { project } = storeSetup(t)
  mkdirSync(project.dir, { recursive: true })
  const file = join(project.dir, 'tasks.json')
  mkdirSync(`${file}.lock`)
  const data = await rejectsWith(acquireFileLock(file, Date.now() + 300), 'BUSY')
  assert.deepEqual([data.file, data.holder], [file, null])
  assert.deepEqual(readdirSync(`${file}.lock`), [])
})

test('a parked folder removed from under the process, whole or in part, is replaced at the next taking', async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks'], () => undefined)
  for (const name of parkedOf(project.dir)) rmSync(join(project.dir, name), { recursive: true })
  await store.transact(project, ['tasks'], (docs) => void (docs.tasks.tasks = []))
  assert.equal(parkedOf(project.dir).length, 1)
  // half removed: the folder is there, its owner file is not
  for (const name of parkedOf(project.dir)) rmSync(join(project.dir, name, 'owner.json'))
  await store.transact(project, ['tasks'], (docs) => void (docs.tasks.tasks = []))
  assert.equal(parkedOf(project.dir).length, 1)
  assert.ok(existsSync(join(project.dir, parkedOf(project.dir)[0], 'owner.json')))
  assert.equal(existsSync(join(project.dir, 'tasks.json.lock')), false)
})

test('a process that exits removes its parked folders; one killed leaves them, and the next store sweeps them', { timeout: 60_000 }, async (t) => {
  const { project, dataDir, projectDir } = storeSetup(t)
  const clean = await runTs('store-child.ts', ['emit', dataDir, projectDir])
  assert.equal(clean.code, 0, clean.stderr)
  assert.deepEqual(readdirSync(project.dir).filter((name) => name.includes('.parked-')), [])

  const script = join(import.meta.dirname, 'store-child.ts')
  const child = spawn(process.execPath, ['--import', 'tsx', script, 'commit-then-wait', dataDir, projectDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve) => child.stdout.on('data', (chunk) => String(chunk).includes('waiting') && resolve()))
  assert.equal(parkedOf(project.dir, child.pid).length, 1)
  const closed = new Promise((resolve) => child.on('close', resolve))
  child.kill('SIGKILL')
  await closed
  // a pid is dead here only for an owner of this host, boot and pid namespace
  const runtime = readOwner(join(project.dir, parkedOf(project.dir, child.pid)[0]))!.runtime
  assert.equal(isDeadHere({ pid: child.pid!, host: hostname(), runtime, token: 'x' }), true)
  assert.equal(isDeadHere({ pid: child.pid!, host: hostname(), runtime: 'another boot', token: 'x' }), false)
  assert.equal(isDeadHere({ pid: child.pid!, host: 'elsewhere', runtime, token: 'x' }), false)
  // a parked folder of a live process, one of another host, and a tomb of an interrupted removal
  const live = `tasks.json.lock.parked-${process.ppid}-0123456789abcdef`
  const elsewhere = `tasks.json.lock.parked-${child.pid}-fedcba9876543210`
  mkdirSync(join(project.dir, live))
  writeFileSync(join(project.dir, live, 'owner.json'), JSON.stringify({ pid: process.ppid, host: hostname(), token: 'live' }))
  mkdirSync(join(project.dir, elsewhere))
  writeFileSync(join(project.dir, elsewhere, 'owner.json'), JSON.stringify({ pid: child.pid, host: 'elsewhere', token: 'remote' }))
  mkdirSync(join(project.dir, 'tasks.json.lock.gone-0badc0de'))

  const next = new Store({ dataDir, documents: DOCUMENTS })
  t.after(() => next.close())
  await next.transact(next.project(projectDir), ['tasks'], () => undefined)
  const left = readdirSync(project.dir).filter((name) => name.includes('.lock.'))
  assert.deepEqual(left.filter((name) => name.includes(`-${child.pid}-`)), [elsewhere])
  assert.ok(left.includes(live))
  // a fresh tomb may still be checked by the breaker that made it; one older than 10 s is removed
  assert.ok(left.includes('tasks.json.lock.gone-0badc0de'))
  sweepParkedLocks(project.dir, Date.now() + 11_000)
  assert.equal(existsSync(join(project.dir, 'tasks.json.lock.gone-0badc0de')), false)
  assert.ok(existsSync(join(project.dir, live)))
})

test('a lock folder that stops being the expected one between the check and the move goes straight back, unchanged', async (t) => {
  const { project } = storeSetup(t)
  mkdirSync(project.dir, { recursive: true })
  const file = join(project.dir, 'tasks.json')
  const held = await acquireFileLock(file, Date.now() + 1000)
  const before = [statSync(`${file}.lock`).ino, statSync(`${file}.lock`).mtimeMs, statSync(join(`${file}.lock`, 'owner.json')).ctimeMs]
  // true when looked at under the lock name, false once moved: what a takeover in between looks like
  let looks = 0
  assert.equal(removeLockDir(`${file}.lock`, () => looks++ === 0), false)
  assert.equal(looks, 2)
  const after = [statSync(`${file}.lock`).ino, statSync(`${file}.lock`).mtimeMs, statSync(join(`${file}.lock`, 'owner.json')).ctimeMs]
  assert.deepEqual(after, before)
  assert.equal(await held.stillHeld(), true)
  assert.deepEqual(readdirSync(project.dir).filter((name) => name.includes('.gone-')), [])
  await held.release()
})

test('a lock that proper-lockfile judged compromised while still ours is released all the same', { timeout: 20_000 }, async (t) => {
  const { project } = storeSetup(t)
  mkdirSync(project.dir, { recursive: true })
  const file = join(project.dir, 'tasks.json')
  const held = await acquireFileLock(file, Date.now() + 1000)
  // another mtime than the one proper-lockfile set: its next refresh (2 s) takes the lock for lost
  const earlier = new Date(Date.now() - 1234)
  utimesSync(`${file}.lock`, earlier, earlier)
  await sleep(2300)
  assert.deepEqual([held.compromised, await held.stillHeld()], [true, true])
  await held.release()
  assert.equal(existsSync(`${file}.lock`), false)
  const started = Date.now()
  await (await acquireFileLock(file, Date.now() + 1000)).release()
  assert.ok(Date.now() - started < 500)
})
