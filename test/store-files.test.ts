import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import fs, { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Store } from '../storage/store.js'
import { projectFolderName } from '../storage/projects.js'
import { DOCUMENTS } from '../lib/schema.js'
import { LockstepError } from '../lib/errors.js'
import { runTs, tempDir } from './helpers.js'
import { storeSetup, task } from './store-helpers.js'



test('every write adds 1 to rev, in the 2-space envelope with a final newline; a deleted file reads as empty', async (t) => {
  const { store, project } = storeSetup(t)
  for (let i = 0; i < 3; i++) await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task(`task-${i}`)))
  const file = join(project.dir, 'tasks.json')
  const text = readFileSync(file, 'utf8')
  const doc = JSON.parse(text)
  assert.equal(doc.rev, 3)
  assert.equal(text, `${JSON.stringify(doc, null, 2)}\n`)
  rmSync(file)
  assert.deepEqual(await store.read(project, 'tasks'), { tasks: [] })
})

test('the store folder is private (0700) and its documents, events and backups are 0600', { skip: process.platform === 'win32' }, async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks', 'notes'], (docs, tx) => {
    docs.tasks.tasks.push(task('task-a'))
    tx.emit({ type: 'task.created', actor: 'x' })
  })
  writeFileSync(join(project.dir, 'notes.json'), '{', { mode: 0o600 })
  await assert.rejects(store.read(project, 'notes'), (error: LockstepError) => error.code === 'CORRUPT_STATE')
  for (const dir of [join(store.dataDir, 'projects'), project.dir, join(project.dir, 'backups')]) assert.equal(statSync(dir).mode & 0o777, 0o700, dir)
  const files = ['project.json', 'tasks.json', 'events.jsonl', ...readdirSync(join(project.dir, 'backups')).map((name) => join('backups', name))]
  for (const name of files) assert.equal(statSync(join(project.dir, name)).mode & 0o777, 0o600, name)
})

test('the folder name is the lower-cased, made-safe basename cut to 40 chars and 8 hex digits of the identity hash', () => {
  const hash8 = (path: string) => createHash('sha256').update(process.platform === 'linux' ? path : path.toLowerCase()).digest('hex').slice(0, 8)
  const rows: [string, string][] = [
    ['/src/My App (2)', 'my-app--2-'],
    ['/src/café.js', 'caf-.js'],
    [`/src/${'A'.repeat(50)}`, 'a'.repeat(40)],
  ]
  for (const [identity, base] of rows) assert.equal(projectFolderName(identity), `${base}-${hash8(identity)}`)
})

test('a folder whose project.json names another root gives CONFLICT, even after reads saw no store there', async (t) => {
  const { store, project } = storeSetup(t)
  assert.deepEqual(await store.read(project, 'tasks'), { tasks: [] })
  mkdirSync(project.dir, { recursive: true })
  writeFileSync(join(project.dir, 'project.json'), JSON.stringify({ schemaVersion: 1, kind: 'project', projectId: project.id, rev: 1, root: '/elsewhere' }))
  const isConflict = (error: LockstepError) => error.code === 'CONFLICT'
  await assert.rejects(store.read(project, 'tasks'), isConflict)
  await assert.rejects(store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a'))), isConflict)
  assert.equal(existsSync(join(project.dir, 'tasks.json')), false)
})

test('the first writer of a folder removes temporary files older than an hour and leaves newer ones', async (t) => {
  const { store, project } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const old = join(project.dir, 'tasks.json.999999.0badc0de.tmp')
  const fresh = join(project.dir, 'tasks.json.999999.0000c0de.tmp')
  writeFileSync(old, 'x')
  writeFileSync(fresh, 'x')
  const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000)
  utimesSync(old, twoHoursAgo, twoHoursAgo)
  const other = new Store({ dataDir: store.dataDir, documents: DOCUMENTS })
  await other.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-b')))
  assert.equal(existsSync(old), false)
  assert.equal(existsSync(fresh), true)
})

test('an appender finds its seq behind a blank line and unparsable lines instead of scanning forever', { timeout: 60_000 }, async (t) => {
  const { store, project, dataDir, projectDir } = storeSetup(t)
  await store.transact(project, ['tasks'], (_docs, tx) => tx.emit({ type: 'custom.a', actor: 'x' }))
  const file = join(project.dir, 'events.jsonl')
  writeFileSync(file, `${readFileSync(file, 'utf8')}\n{not json\n`)
  const first = await runTs('store-child.ts', ['emit', dataDir, projectDir], { timeoutMs: 20_000 })
  assert.equal(first.code, 0, first.stderr)
  assert.deepEqual(JSON.parse(first.stdout), [2])
  writeFileSync(file, '\n{not json\n')
  const second = await runTs('store-child.ts', ['emit', dataDir, projectDir], { timeoutMs: 20_000 })
  assert.equal(second.code, 0, second.stderr)
  assert.deepEqual(JSON.parse(second.stdout), [1])
})

test('a migration whose result fails validation gives CORRUPT_STATE naming the validate step, and writes nothing', async (t) => {
  const { home, project, store } = storeSetup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-a')))
  const file = join(project.dir, 'tasks.json')
  const before = readFileSync(file, 'utf8')
  const broken = { ...DOCUMENTS, tasks: { ...DOCUMENTS.tasks, version: 2, migrations: { 1: (doc: Record<string, unknown>) => ({ ...doc, tasks: 'none' }) } } }
  const v2 = new Store({ dataDir: join(home, 'data'), documents: broken })
  await assert.rejects(
    v2.transact(project, ['tasks'], () => undefined),
    (error: LockstepError) => error.code === 'CORRUPT_STATE' && error.data.step === 'validate',
  )
  assert.equal(readFileSync(file, 'utf8'), before)
})

test('a rename that Windows keeps refusing fails with BUSY after about 1 s, and the temporary file is removed', async (t) => {
  const { home } = storeSetup(t)
  const platform = process.platform
  Object.defineProperty(process, 'platform', { value: 'win32' })
  // a second instance of the module, loaded while the platform reads as Windows
  const url = new URL('../storage/atomic.js?as-win32', import.meta.url).href
  const atomic = (await import(url).finally(() => Object.defineProperty(process, 'platform', { value: platform }))) as typeof import('../storage/atomic.js')
  const rename = fs.renameSync
  fs.renameSync = () => {
    throw Object.assign(new Error('busy'), { code: 'EBUSY' })
  }
  t.after(() => void (fs.renameSync = rename))
  const started = Date.now()
  await assert.rejects(atomic.writeFileAtomic(join(home, 'doc.json'), '{}'), (error: LockstepError) => error.code === 'BUSY')
  assert.ok(Date.now() - started >= 900)
  assert.deepEqual(readdirSync(home).filter((name) => name.endsWith('.tmp')), [])
})

test('the first write of each UTC day keeps the current content as a restore point, and the 7 newest are kept', async (t) => {
  const home = tempDir(t)
  mkdirSync(join(home, 'repo'))
  let now = new Date('2030-01-01T10:00:00Z')
  const store = new Store({ dataDir: join(home, 'data'), documents: DOCUMENTS, now: () => now })
  t.after(() => store.close())
  const project = store.project(join(home, 'repo'))
  const file = join(project.dir, 'tasks.json')
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-0')))
  for (let day = 1; day <= 9; day++) {
    now = new Date(Date.UTC(2030, 0, day, 23, 0))
    const before = readFileSync(file, 'utf8')
    await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task(`task-${day}-a`)))
    await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task(`task-${day}-b`)))
    const point = join(project.dir, 'backups', `tasks.${now.toISOString().slice(0, 10)}.json`)
    assert.equal(readFileSync(point, 'utf8'), before, `restore point of day ${day}`)
  }
  const points = readdirSync(join(project.dir, 'backups')).filter((name) => /^tasks\.\d{4}-\d{2}-\d{2}\.json$/.test(name)).sort()
  assert.deepEqual(points, Array.from({ length: 7 }, (_, i) => `tasks.2030-01-${String(i + 3).padStart(2, '0')}.json`))
})

test('a symlinked path to a project folder is the same project', { skip: process.platform === 'win32' }, async (t) => {
  const { home, projectDir, store, project } = storeSetup(t)
  fs.symlinkSync(projectDir, join(home, 'link'))
  assert.deepEqual(store.project(join(home, 'link')), project)
})
