import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { startAgent, type McpAgent } from './support/mcp-helpers.js'
import { tempDir } from './support/helpers.js'

const bytes = (reply: { text: string }) => Buffer.byteLength(reply.text)

async function team(t: Parameters<typeof tempDir>[0]) {
  const home = tempDir(t)
  // a project path of a realistic length: the answers carry it
  const repo = join(home, 'work', 'acme-services', 'payments-gateway')
  mkdirSync(repo, { recursive: true })
  const planner = await startAgent(t, { home, cwd: repo })
  const impl = await startAgent(t, { home, cwd: repo })
  await planner.ok('coordination_init', { role: 'planner' })
  await planner.ok('project_context_set', {
    description: 'A payments gateway that accepts card and bank transfers, settles them nightly and reports to accounting. '.repeat(3),
    endState: 'Every payment path is covered by tests and the nightly settlement runs unattended in staging. '.repeat(2),
    acceptanceCriteria: ['npm test passes', 'settlement dry run matches the ledger', 'no secrets in the repository', 'p95 latency under 200 ms', 'docs updated'],
    implementationPlan: ['1. Model payments', '2. Card adapter', '3. Bank adapter', '4. Nightly settlement', '5. Accounting export'],
    status: 'ready',
  })
  return { planner, impl }
}

async function create(planner: McpAgent, title: string, extra: Record<string, unknown> = {}) {
  return (await planner.ok('task_create', { title, complexity: 'medium', ...extra })).id as string
}

test('coordination_init answers fit 800 bytes (implementer) and 1,200 bytes (planner) in every phase', { timeout: 60_000 }, async (t) => {
  const { planner, impl } = await team(t)
  const sizes: Record<string, number> = {}
  const measure = async (agent: McpAgent, role: string, label: string) => {
    const reply = await agent.call('coordination_init', { role })
    assert.equal(reply.isError, false)
    sizes[label] = bytes(reply)
    if (process.env.SHOW_SIZES) console.log(label, bytes(reply))
    return reply.body
  }
  assert.equal((await measure(planner, 'planner', 'planner creating tasks')).status, 'needs_tasks')
  assert.equal((await measure(impl, 'implementer', 'implementer waiting')).status, 'waiting')
  const first = await create(planner, 'Model the payment aggregate and its state machine', { files: ['src/payments/**'] })
  await create(planner, 'Card adapter for the acquiring bank with retries', { dependsOn: [first] })
  await create(planner, 'Bank transfer adapter with SEPA and ACH formats')
  assert.equal((await measure(impl, 'implementer', 'implementer ready')).status, 'ready')
  await impl.ok('task_claim_next')
  await impl.ok('task_claim_next')
  const owning = await measure(impl, 'implementer', 'implementer owning two tasks')
  assert.equal(owning.yourTasks.length, 2)
  assert.ok(owning.instruction.split('\n').length >= 9, 'the implementer loop keeps its nine steps')
  await impl.ok('task_submit_for_review', { id: first, reviewNotes: 'Aggregate and transitions, unit tested.' })
  assert.equal((await measure(planner, 'planner', 'planner monitoring')).status, 'monitoring')
  for (const [label, size] of Object.entries(sizes)) assert.ok(size <= (label.startsWith('planner') ? 1200 : 800), `${label}: ${size} bytes`)
})

test('mutations answer with id, status and what changed; task_list rows are short unless verbose', { timeout: 60_000 }, async (t) => {
  const { planner, impl } = await team(t)
  const created = await planner.call('task_create', { title: 'Ledger export', complexity: 'simple', files: ['src/ledger.ts'], tags: ['export'] })
  assert.deepEqual(Object.keys(created.body).sort(), ['id', 'status', 'version'])
  const id = created.body.id
  await impl.ok('coordination_init', { role: 'implementer' })
  const claimed = await impl.ok('task_claim', { id })
  assert.deepEqual([claimed.id, claimed.status, claimed.title, claimed.locks], [id, 'in_progress', 'Ledger export', ['src/ledger.ts']])
  assert.equal(claimed.createdAt, undefined)
  const updated = await impl.call('task_update', { id, description: 'CSV with a header row' })
  assert.deepEqual([updated.body.status, updated.body.changes, updated.body.createdAt], ['in_progress', ['description'], undefined])
  assert.ok(bytes(updated) < 200, `${bytes(updated)} bytes`)
  const lock = await impl.ok('lock_acquire', { path: 'docs/ledger.md' })
  assert.deepEqual(Object.keys(lock).sort(), ['expiresAt', 'id', 'path', 'status'])
  const note = await impl.ok('note_append', { text: 'export started' })
  assert.deepEqual(Object.keys(note).sort(), ['id', 'seq'])
  const list = await planner.ok('task_list')
  assert.equal(list.tasks[0].id, id)
  assert.equal(list.tasks[0].createdAt, undefined)
  const verbose = await planner.ok('task_list', { verbose: true })
  assert.equal(verbose.tasks[0].description, 'CSV with a header row')
  assert.ok(verbose.tasks[0].createdAt)
})

test('project_status_set complete is refused while tasks are open, and force closes them and tells their owners', { timeout: 60_000 }, async (t) => {
  const { planner, impl } = await team(t)
  const claimed = await create(planner, 'Settlement job')
  const todo = await create(planner, 'Accounting export')
  await impl.ok('coordination_init', { role: 'implementer' })
  await impl.ok('task_claim', { id: claimed })
  const refused = await planner.call('project_status_set', { status: 'complete' })
  assert.equal(refused.code, 'CONFLICT')
  assert.deepEqual(refused.body.data.open.map((task: { id: string }) => task.id).sort(), [claimed, todo].sort())
  assert.equal((await planner.call('project_context_set', { status: 'complete' })).code, 'CONFLICT')
  assert.equal((await planner.ok('project_context_get')).context.status, 'in_progress', 'a refusal changes nothing')
  const forced = await planner.ok('project_status_set', { status: 'complete', force: true })
  assert.deepEqual([forced.status, forced.closedTasks.length, forced.openTasks], ['complete', 2, 'cancel'])
  const all = await planner.ok('task_list', { includeDone: true, verbose: true })
  assert.deepEqual(
    all.tasks.map((task: { status: string; tags: string[] }) => [task.status, task.tags]),
    [
      ['done', ['cancelled']],
      ['done', ['cancelled']],
    ],
  )
  // the owner of the in-progress task learns what happened from a notice, and is not told the work is finished while it owns some
  const init = await impl.call('coordination_init', { role: 'implementer' })
  const notice = init.body._notices.find((item: { kind: string }) => item.kind === 'task_revoked')
  assert.deepEqual([notice.id, notice.reason], [claimed, 'forced'])
  assert.deepEqual([init.body.status, init.body.yourTasks], ['complete', []])
})

test('task_claim_next never answers project_complete while a task can be claimed', { timeout: 60_000 }, async (t) => {
  const { planner, impl } = await team(t)
  const parked = await create(planner, 'Later work')
  await planner.ok('project_status_set', { status: 'complete', force: true, openTasks: 'blocked' })
  await impl.ok('coordination_init', { role: 'implementer' })
  const none = await impl.ok('task_claim_next')
  assert.deepEqual([none.claimed, none.reason], [false, 'project_complete'])
  await impl.ok('task_update', { id: parked, status: 'todo' })
  assert.equal((await impl.ok('coordination_init', { role: 'implementer' })).status, 'ready', 'a claimable task is not reported as complete')
  const next = await impl.ok('task_claim_next')
  assert.deepEqual([next.claimed, next.task.id], [true, parked])
  assert.equal((await planner.ok('project_context_get')).context.status, 'in_progress')
})

test('errors say what to send: allowed values, the expected shape, claim first, and how long a LOCKED call waited', { timeout: 60_000 }, async (t) => {
  const { planner, impl } = await team(t)
  const badEnum = await planner.call('task_create', { title: 'x', complexity: 'trivial' })
  assert.deepEqual([badEnum.code, badEnum.body.data.property, badEnum.body.data.allowed], ['INVALID_INPUT', 'complexity', ['simple', 'medium', 'complex', 'critical']])
  const missing = await planner.call('task_create', { title: 'x' })
  assert.deepEqual([missing.code, missing.body.data.property, missing.body.data.allowed?.length], ['INVALID_INPUT', 'complexity', 4])
  const shape = await planner.call('task_create', { title: 'x', complexity: 'simple', tags: 'one' })
  assert.deepEqual([shape.code, shape.body.data.property, typeof shape.body.data.expected], ['INVALID_INPUT', 'tags', 'string'])
  const unknown = await planner.call('task_create', { title: 'x', complexity: 'simple', colour: 'red' })
  assert.ok(unknown.body.data.accepted.includes('priority'))
  for (const title of ['   ', '\u0000\u0007', '\n\t ']) assert.equal((await planner.call('task_create', { title, complexity: 'simple' })).code, 'INVALID_INPUT', JSON.stringify(title))
  assert.equal((await planner.call('note_append', { text: ' \u0001 ' })).code, 'INVALID_INPUT')
  const id = await create(planner, 'Unclaimed', { complexity: 'simple' })
  await impl.ok('coordination_init', { role: 'implementer' })
  for (const args of [
    { id, status: 'done' },
    { id, description: 'edited' },
  ]) {
    const reply = await impl.call('task_update', args)
    assert.equal(reply.body.data.next, 'task_claim', JSON.stringify(args))
  }
  await planner.ok('lock_acquire', { path: 'src/shared.ts' })
  const locked = await impl.call('lock_acquire', { path: 'src/shared.ts', waitMs: 300 })
  assert.equal(locked.code, 'LOCKED')
  assert.ok(locked.body.data.waitedMs >= 300, `waited ${locked.body.data.waitedMs}`)
})
