import { readStored } from './support/stored.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Store } from '../storage/store.js'
import { DOCUMENTS, type Discussion, type ProjectDoc, type Task } from '../lib/state/schema.js'
import { task as storedTask } from './support/store-helpers.js'
import { byCodePoint, renderProjectSnapshot, renderSnapshot, snapshotPath, SnapshotWriter, writeSnapshotNow, type SnapshotInput } from '../lib/state/snapshot.js'
import { runTs, tempDir } from './support/helpers.js'

function setup(t: Parameters<typeof tempDir>[0], root?: string) {
  const home = tempDir(t)
  const dir = root ?? join(home, 'repo')
  mkdirSync(dir, { recursive: true })
  const store = new Store({ dataDir: join(home, 'data'), documents: DOCUMENTS })
  t.after(() => store.close())
  return { home, root: dir, dataDir: join(home, 'data'), store, project: store.project(dir) }
}

const at = (second: number) => new Date(Date.UTC(2026, 10, 24, 10, 0, second)).toISOString()

const task = (id: string, extra: Partial<Task> = {}): Task => storedTask(id, { title: `Title ${id}`, complexity: 'medium', createdBy: 'planner', createdAt: at(1), updatedAt: at(2), ...extra })
const discussion = (id: string, extra: Partial<Discussion> = {}): Discussion => ({
  id,
  topic: `Topic ${id}`,
  category: 'question',
  priority: 'medium',
  status: 'open',
  createdBy: 'impl-1',
  messageCount: 1,
  createdAt: at(3),
  updatedAt: at(4),
  ...extra,
})

const projectDoc = (extra: Partial<ProjectDoc> = {}): ProjectDoc => ({
  root: '/somewhere/my-app',
  name: 'my-app',
  createdAt: at(0),
  status: 'in_progress',
  allDoneAnnounced: false,
  context: {
    name: 'my-app',
    description: 'd',
    endState: 'e',
    techStack: ['z', 'a'],
    constraints: [],
    acceptanceCriteria: ['second', 'first'],
    tests: [],
    implementationPlan: ['b', 'a'],
    createdAt: at(0),
    updatedAt: at(0),
  },
  ...extra,
})

const sample = (): SnapshotInput => ({
  project: projectDoc(),
  tasks: [
    task('task-b', { metadata: { zeta: 1, alpha: { y: [3, 1], x: null } }, tags: ['z', 'a'] }),
    task('task-a', { status: 'review', leaseExpiresAt: at(9), leaseSessionId: 'sess-1', owner: 'impl-1' }),
    task('task-0', { createdAt: at(5), status: 'done' }),
  ],
  discussions: [discussion('disc-2'), discussion('disc-1', { status: 'waiting', waitingOn: 'planner', createdAt: at(2) })],
})

function reversedKeys<V>(value: V): V {
  if (Array.isArray(value)) return value.map(reversedKeys) as V
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, item]) => [key, reversedKeys(item)]),
  ) as V
}

/** Every object's keys, read from the text itself: JSON.parse would reorder integer-like keys. */
function keySequences(text: string): string[][] {
  const stack: (string[] | null)[] = []
  const done: string[][] = []
  for (const line of text.split('\n')) {
    const trimmed = line.trimStart()
    if (trimmed.startsWith('}') || trimmed.startsWith(']')) {
      const closed = stack.pop()
      if (closed) done.push(closed)
    }
    const key = /^("(?:[^"\\]|\\.)*"): /.exec(trimmed)
    if (key) stack.at(-1)!.push(JSON.parse(key[1]))
    if (trimmed.endsWith('{')) stack.push([])
    else if (trimmed.endsWith('[')) stack.push(null)
  }
  return done
}

function attachWriter(store: Store<typeof DOCUMENTS>, debounceMs = 10, maxMs = 50) {
  const warnings: string[] = []
  const writer = new SnapshotWriter({ store, warn: (message) => warnings.push(message), delays: { debounceMs, maxMs } })
  writer.attach(store)
  return { writer, warnings }
}

/** Poll until `check` holds; resolves with the time it took. */
async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<number> {
  const start = Date.now()
  for (; !check(); await new Promise((resolve) => setTimeout(resolve, 10))) assert.ok(Date.now() - start < timeoutMs, 'timed out')
  return Date.now() - start
}

test('renderSnapshot gives the same bytes whatever the order of tasks, discussions and object keys', () => {
  const input = sample()
  const shuffled = { project: reversedKeys(input.project), tasks: reversedKeys([...input.tasks].reverse()), discussions: reversedKeys([...input.discussions].reverse()) }
  const text = renderSnapshot(input)
  assert.equal(renderSnapshot(shuffled), text)
  assert.ok(text.charCodeAt(0) !== 0xfeff && !text.includes('\r') && text.endsWith('}\n'), 'UTF-8 without BOM, LF, final newline')
  assert.equal(text, `${JSON.stringify(JSON.parse(text), null, 2)}\n`, '2-space indent, as JSON.stringify when no key is integer-like')
  const parsed = JSON.parse(text)
  assert.deepEqual(
    parsed.tasks.map((item: Task) => item.id),
    ['task-a', 'task-b', 'task-0'],
    'by createdAt, then id',
  )
  assert.deepEqual(
    parsed.discussions.map((item: Discussion) => item.id),
    ['disc-1', 'disc-2'],
  )
})

test('renderSnapshot sorts keys by code point at every level and keeps string lists in stored order', () => {
  const input = sample()
  input.tasks = [task('task-m', { metadata: { a: 1, '9': 2, '10': 3, B: 4, é: 5, '😀': 6, ﬀ: 7, nested: { b: 1, a: [{ d: 1, c: 2 }] } } })]
  const text = renderSnapshot(input)
  const sequences = keySequences(text)
  assert.ok(sequences.length >= 6)
  for (const keys of sequences) assert.deepEqual(keys, [...keys].sort(byCodePoint))
  assert.deepEqual(
    sequences.find((keys) => keys.includes('😀')),
    ['10', '9', 'B', 'a', 'nested', 'é', 'ﬀ', '😀'],
  )
  assert.deepEqual(sequences.at(-1), ['discussions', 'project', 'schemaVersion', 'summary', 'tasks'])
  const { context } = JSON.parse(text).project
  assert.deepEqual(
    [context.acceptanceCriteria, context.implementationPlan, context.techStack],
    [
      ['second', 'first'],
      ['b', 'a'],
      ['z', 'a'],
    ],
  )
  assert.deepEqual(JSON.parse(renderSnapshot(sample())).tasks.find((item: Task) => item.id === 'task-b').tags, ['z', 'a'])
})

test('renderSnapshot leaves out lease fields, messages, and settled discussions without a decision', () => {
  const input = sample()
  input.discussions = [
    discussion('disc-open'),
    discussion('disc-waiting', { status: 'waiting', waitingOn: 'planner' }),
    discussion('disc-decided', { status: 'resolved', decision: 'yes', decidedBy: 'planner', resolvedAt: at(6) }),
    discussion('disc-archived-decided', { status: 'archived', decision: 'no', archivedAt: at(7) }),
    discussion('disc-resolved-plain', { status: 'resolved', resolvedAt: at(6) }),
    discussion('disc-archived-plain', { status: 'archived', archivedAt: at(7) }),
  ]
  const parsed = JSON.parse(renderSnapshot(input))
  for (const item of parsed.tasks) assert.ok(!('leaseExpiresAt' in item) && !('leaseSessionId' in item))
  assert.equal(parsed.tasks.find((item: Task) => item.id === 'task-a').owner, 'impl-1')
  assert.deepEqual(parsed.discussions.map((item: Discussion) => item.id).sort(), ['disc-archived-decided', 'disc-decided', 'disc-open', 'disc-waiting'])
  for (const item of parsed.discussions) for (const key of ['messageCount', 'updatedAt', 'archivedAt']) assert.ok(!(key in item), key)
  assert.ok(!('root' in parsed.project) && !('allDoneAnnounced' in parsed.project) && !('createdAt' in parsed.project))
})

test('renderSnapshot counts tasks by status and shows a null context until it is set', () => {
  const parsed = JSON.parse(renderSnapshot({ ...sample(), project: projectDoc({ context: null, status: 'planning' }) }))
  assert.deepEqual(parsed.project, { context: null, name: 'my-app', status: 'planning' })
  assert.deepEqual(parsed.summary, { blocked: 0, done: 1, in_progress: 0, review: 1, todo: 1, total: 3 })
  assert.equal(parsed.schemaVersion, 1)
})

test('two processes in different time zones and locales render byte-identical snapshots of one store', { timeout: 60_000 }, async (t) => {
  const { store, project, dataDir, root } = setup(t)
  await store.transact(project, ['project', 'tasks', 'discussions'], (docs) => {
    Object.assign(docs.project, { context: projectDoc().context, status: 'in_progress' })
    docs.tasks.tasks.push(...sample().tasks)
    docs.discussions.discussions.push(...sample().discussions)
  })
  const [one, two] = await Promise.all([
    runTs('snapshot-child.ts', ['render', dataDir, root], { env: { TZ: 'UTC', LANG: 'C', LC_ALL: 'C' } }),
    runTs('snapshot-child.ts', ['render', dataDir, root], { env: { TZ: 'Asia/Kolkata', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8' } }),
  ])
  assert.deepEqual([one.code, two.code], [0, 0], one.stderr + two.stderr)
  assert.ok(one.stdout.includes('"task-a"'))
  assert.equal(Buffer.compare(Buffer.from(one.stdout), Buffer.from(two.stdout)), 0)
  assert.equal(one.stdout, await renderProjectSnapshot(store, project))
})

test('writeSnapshotNow creates state.json for a project without a store, then reports unchanged', async (t) => {
  const { store, project, root } = setup(t)
  assert.equal(await writeSnapshotNow(store, project), 'created')
  assert.deepEqual(JSON.parse(readFileSync(snapshotPath(root), 'utf8')).project, { context: null, name: 'repo', status: 'planning' })
  if (process.platform !== 'win32') assert.equal(statSync(snapshotPath(root)).mode & 0o777, 0o644)
  assert.equal(await writeSnapshotNow(store, project), 'unchanged')
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-x')))
  assert.equal(await writeSnapshotNow(store, project), 'updated')
})

test('the writer leaves a project without .lockstep/state.json alone', async (t) => {
  const { store, project, root } = setup(t)
  const { writer, warnings } = attachWriter(store)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-x')))
  await new Promise((resolve) => setTimeout(resolve, 100))
  await writer.flush()
  assert.deepEqual([existsSync(join(root, '.lockstep')), existsSync(join(project.dir, 'snapshot.lock'))], [false, false])
  assert.deepEqual(warnings, [])
})

test('the writer rewrites state.json shortly after a change, not at once', async (t) => {
  const { store, project, root } = setup(t)
  await writeSnapshotNow(store, project)
  const { warnings } = attachWriter(store, 50, 500)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-x')))
  assert.ok(!readFileSync(snapshotPath(root), 'utf8').includes('task-x'), 'debounced, not written synchronously')
  await waitFor(() => readFileSync(snapshotPath(root), 'utf8').includes('task-x'))
  assert.equal(readFileSync(snapshotPath(root), 'utf8'), await renderProjectSnapshot(store, project))
  assert.deepEqual(warnings, [])
})

test('the writer writes within maxMs while changes keep coming', async (t) => {
  const { store, project, root } = setup(t)
  await writeSnapshotNow(store, project)
  const { writer, warnings } = attachWriter(store, 200, 300)
  await store.transact(project, ['project'], (docs) => void (docs.project.status = 'ready'))
  const keepScheduling = setInterval(() => writer.schedule(project), 20)
  try {
    const elapsed = await waitFor(() => readFileSync(snapshotPath(root), 'utf8').includes('"ready"'), 2000)
    assert.ok(elapsed < 1000, `written after ${elapsed} ms`)
  } finally {
    clearInterval(keepScheduling)
    await writer.flush()
  }
  assert.deepEqual(warnings, [])
})

test('an unchanged render leaves state.json untouched (same inode and mtime)', async (t) => {
  const { store, project, root } = setup(t)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-x', { leaseExpiresAt: at(10) })))
  await writeSnapshotNow(store, project)
  const before = statSync(snapshotPath(root))
  await new Promise((resolve) => setTimeout(resolve, 20))
  const { writer, warnings } = attachWriter(store)
  await store.transact(project, ['tasks'], (docs) => void (docs.tasks.tasks[0].leaseExpiresAt = at(50)))
  await writer.flush()
  assert.equal((await readStored(project.dir, 'tasks')).tasks[0].leaseExpiresAt, at(50), 'the lease renewal committed')
  const after = statSync(snapshotPath(root))
  assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs])
  assert.deepEqual(warnings, [])
})

test('flush writes pending snapshots at once and overwrites hand edits', async (t) => {
  const { store, project, root } = setup(t)
  await writeSnapshotNow(store, project)
  writeFileSync(snapshotPath(root), '{"edited": true}\n')
  const { writer, warnings } = attachWriter(store, 60_000, 60_000)
  await store.transact(project, ['discussions'], (docs) => void docs.discussions.discussions.push(discussion('disc-x')))
  await writer.flush()
  assert.equal(readFileSync(snapshotPath(root), 'utf8'), await renderProjectSnapshot(store, project))
  assert.deepEqual(warnings, [])
})

test('a read-only .lockstep/ folder gives one warning and never throws', { timeout: 60_000 }, async (t) => {
  const base = tempDir(t)
  chmodSync(base, 0o777) // the child drops root's privileges, which ignore folder permissions
  const result = await runTs('snapshot-child.ts', ['read-only', base])
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(JSON.parse(result.stdout), { warnings: 1, threw: false, unchanged: true })
})

test('a project opened from a linked worktree writes the snapshot of the main working tree only', async (t) => {
  const home = tempDir(t)
  const [main, linked, admin] = [join(home, 'main'), join(home, 'linked'), join(home, 'main', '.git', 'worktrees', 'linked')]
  mkdirSync(admin, { recursive: true })
  writeFileSync(join(admin, 'commondir'), '../..\n')
  for (const dir of [main, linked]) mkdirSync(join(dir, '.lockstep'), { recursive: true })
  for (const dir of [main, linked]) writeFileSync(snapshotPath(dir), '{}\n')
  writeFileSync(join(linked, '.git'), `gitdir: ${admin}\n`)
  const { store, project } = setup(t, linked)
  assert.equal(project.root, main)
  const { writer, warnings } = attachWriter(store)
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-x')))
  await writer.flush()
  assert.ok(readFileSync(snapshotPath(main), 'utf8').includes('task-x'))
  assert.equal(readFileSync(snapshotPath(linked), 'utf8'), '{}\n')
  assert.deepEqual(warnings, [])
})
