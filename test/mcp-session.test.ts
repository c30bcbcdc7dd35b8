import { readStored } from './support/stored.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { startAgent } from './support/mcp-helpers.js'
import { tempDir } from './support/helpers.js'

function project(t: Parameters<typeof tempDir>[0]) {
  const home = tempDir(t)
  const repo = join(home, 'repo')
  mkdirSync(join(repo, 'src'), { recursive: true })
  return { home, repo }
}

test('a planner and two implementers run a whole project through the stdio server', { timeout: 120_000 }, async (t) => {
  const { home, repo } = project(t)
  const planner = await startAgent(t, { home, cwd: repo, clientName: 'claude-code' })
  const impl1 = await startAgent(t, { home, cwd: repo, clientName: 'codex-mcp-client' })
  const impl2 = await startAgent(t, { home, cwd: repo })

  const init = await planner.ok('coordination_init', { role: 'planner' })
  assert.equal(init.status, 'needs_context')
  assert.equal(init.agent.name, 'planner')
  await planner.ok('project_context_set', { description: 'A calculator', endState: 'add and sub work', acceptanceCriteria: ['tests pass'] })
  const planned = await planner.ok('project_context_set', { implementationPlan: ['1. add', '2. sub'], status: 'ready' })
  assert.equal(planned.status, 'ready')
  assert.equal((await planner.ok('coordination_init', { role: 'planner' })).status, 'needs_tasks')

  const add = await planner.ok('task_create', { title: 'Add', complexity: 'medium', files: ['src/add.ts'], priority: 'high' })
  const sub = await planner.ok('task_create', { title: 'Sub', complexity: 'simple', files: ['src/sub.ts'], dependsOn: [add.id] })
  const docs = await planner.ok('task_create', { title: 'Docs', complexity: 'simple', files: ['src/'] })

  const i1 = await impl1.ok('coordination_init', { role: 'implementer' })
  const i2 = await impl2.ok('coordination_init', { role: 'implementer' })
  assert.equal(i1.agent.name, 'impl-1')
  assert.equal(i2.agent.name, 'impl-2')
  assert.equal(i1.status, 'ready')

  const claim1 = await impl1.ok('task_claim_next')
  assert.equal(claim1.claimed, true)
  assert.equal(claim1.task.id, add.id, 'highest priority first')
  assert.deepEqual(claim1.locks, ['src/add.ts'])
  // Docs locks src/** which overlaps impl-1's src/add.ts, and Sub waits on Add.
  const claim2 = await impl2.ok('task_claim_next')
  assert.equal(claim2.claimed, false)
  assert.equal(claim2.reason, 'all_locked')
  const blockedClaim = await impl2.call('task_claim', { id: sub.id })
  assert.equal(blockedClaim.code, 'CONFLICT')
  assert.deepEqual(
    blockedClaim.body.data.blockedBy.map((item: any) => item.id),
    [add.id],
  )
  const lockConflict = await impl2.call('lock_acquire', { path: 'src/add.ts' })
  assert.equal(lockConflict.code, 'LOCKED')
  assert.equal(lockConflict.body.data.holder, 'impl-1')
  const other = await impl2.ok('lock_acquire', { path: 'README.md', note: 'docs' })
  assert.deepEqual(
    (await planner.ok('lock_list', { path: 'README.md' })).map((lock: any) => [lock.id, lock.owner]),
    [[other.id, 'impl-2']],
  )

  // a discussion round trip
  const started = await impl1.ok('discussion_start', { topic: 'Overflow?', message: 'Should add() clamp?', waitingOn: 'planner', category: 'question' })
  const inbox = await planner.ok('discussion_inbox')
  assert.equal(inbox.waitingCount, 1)
  await planner.ok('discussion_reply', { discussionId: started.id, message: 'No, throw.' })
  const resolved = await impl1.ok('discussion_resolve', { discussionId: started.id, decision: 'throw on overflow', reasoning: 'explicit' })
  assert.equal(resolved.status, 'resolved')

  // the review round trip
  const submitted = await impl1.ok('task_submit_for_review', { id: add.id, reviewNotes: 'added with tests' })
  assert.equal(submitted.status, 'review')
  const selfApprove = await impl1.call('task_approve', { id: add.id })
  assert.equal(selfApprove.code, 'FORBIDDEN')
  const back = await planner.ok('task_request_changes', { id: add.id, feedback: 'handle NaN' })
  assert.equal(back.status, 'in_progress')
  assert.equal(back.owner, 'impl-1')
  assert.equal((await impl1.ok('task_submit_for_review', { id: add.id, reviewNotes: 'NaN handled' })).reviewRounds, 2)
  const approved = await planner.ok('task_approve', { id: add.id, feedback: 'good' })
  assert.equal(approved.status, 'done')
  assert.equal((await planner.ok('lock_list', { path: 'src/add.ts' })).length, 0, 'task locks go with approval')

  // the rest: impl-2 gets Sub (now unblocked), impl-1 gets Docs
  const next2 = await impl2.ok('task_claim_next')
  assert.equal(next2.task.id, sub.id)
  await impl2.ok('task_update', { id: sub.id, status: 'done' })
  const next1 = await impl1.ok('task_claim_next')
  assert.equal(next1.task.id, docs.id)
  await impl1.ok('task_update', { id: docs.id, status: 'done' })
  const summary = await planner.ok('task_summary')
  assert.deepEqual(summary.summary, { total: 3, todo: 0, in_progress: 0, blocked: 0, review: 0, done: 3 })
  const monitor = await planner.ok('coordination_init', { role: 'planner' })
  assert.equal(monitor.status, 'monitoring')
  const done = await planner.ok('project_status_set', { status: 'complete' })
  assert.equal(done.status, 'complete')
  const after = await impl1.ok('task_claim_next')
  assert.equal(after.reason, 'project_complete')
  const notes = await planner.ok('note_list', { author: 'system', limit: 1000 })
  assert.ok(notes.some((note: any) => note.text.startsWith('[SYSTEM] All 3 tasks are done.')))

  // everything is on disk, under one project folder
  const projects = readdirSync(join(home, '.lockstep-mcp', 'projects'))
  assert.equal(projects.length, 1)
  const onDisk = await readStored(join(home, '.lockstep-mcp', 'projects', projects[0]), 'tasks')
  assert.deepEqual(
    onDisk.tasks.map((task: any) => task.status),
    ['done', 'done', 'done'],
  )
  // the agent type comes from the MCP clientInfo
  const agents = (await readStored(join(home, '.lockstep-mcp', 'projects', projects[0]), 'agents')).agents
  assert.deepEqual(
    agents.map((agent: any) => [agent.name, agent.type]),
    [
      ['planner', 'claude'],
      ['impl-1', 'codex'],
      ['impl-2', 'other'],
    ],
  )
})

test('the server lists its tools with JSON Schemas and announces itself', async (t) => {
  const { home, repo } = project(t)
  const agent = await startAgent(t, { home, cwd: repo })
  const { tools } = await agent.client.listTools()
  const names = tools.map((tool) => tool.name)
  for (const name of ['coordination_init', 'task_claim_next', 'lock_acquire', 'events_wait', 'discussion_cleanup']) assert.ok(names.includes(name), name)
  const claim = tools.find((tool) => tool.name === 'task_claim')!
  assert.deepEqual(claim.inputSchema.required, ['id'])
  assert.ok((claim.inputSchema.properties as any).id.description)
  assert.equal(tools.find((tool) => tool.name === 'task_list')!.annotations?.readOnlyHint, true)
  assert.equal(agent.client.getServerVersion()?.name, 'lockstep-mcp')
  assert.match(agent.client.getInstructions() ?? '', /coordination_init/)
  const core = await startAgent(t, { home, cwd: repo, args: ['--tools', 'core'] })
  assert.equal((await core.client.listTools()).tools.length, 19)
  // a tool outside the profile is unknown to this server: a JSON-RPC error, not a tool result
  await assert.rejects(core.client.callTool({ name: 'task_approve', arguments: { id: 'task-x' } }), (error: any) => error.code === -32602 && error.data.tool === 'task_approve')
})

test('roles: implementers are refused planner tools, and names and roles are fixed', async (t) => {
  const { home, repo } = project(t)
  const planner = await startAgent(t, { home, cwd: repo })
  const impl = await startAgent(t, { home, cwd: repo })
  await planner.ok('coordination_init', { role: 'planner' })
  await impl.ok('coordination_init', { role: 'implementer', name: 'alice' })
  for (const [name, args] of [
    ['project_status_set', { status: 'stopped' }],
    ['task_approve', { id: 'task-1' }],
    ['task_request_changes', { id: 'task-1', feedback: 'x' }],
    ['implementer_reset', {}],
    ['session_reset', { confirm: true }],
    ['lock_release', { path: 'a', force: true }],
  ] as const) {
    assert.equal((await impl.call(name, args)).code, 'FORBIDDEN', name)
  }
  assert.equal((await impl.call('coordination_init', { role: 'planner' })).code, 'FORBIDDEN')
  assert.equal((await impl.call('coordination_init', { role: 'implementer', name: 'bob' })).code, 'FORBIDDEN')
  assert.equal((await impl.call('note_append', { text: 'hi', author: 'planner' })).code, 'FORBIDDEN')
  const other = await startAgent(t, { home, cwd: repo })
  assert.equal((await other.call('coordination_init', { role: 'implementer', name: 'alice' })).code, 'CONFLICT', 'a live name cannot be taken')
  assert.equal((await other.call('coordination_init', { role: 'implementer', name: 'planner' })).code, 'FORBIDDEN', 'a name keeps its role')
  const task = await planner.ok('task_create', { title: 'Mine', complexity: 'medium', owner: 'alice' })
  assert.equal((await impl.call('task_update', { id: task.id, title: 'renamed' })).code, 'FORBIDDEN')
  await impl.ok('task_claim', { id: task.id })
  await impl.ok('task_submit_for_review', { id: task.id, reviewNotes: 'done' })
  await planner.ok('task_approve', { id: task.id })
  const [listed] = (await planner.ok('task_list', { includeDone: true, verbose: true })).tasks
  assert.equal(listed.approvedBy, 'planner')
})

test('notices: a forced release reaches the holder once, kept through an error, in a second block for arrays', async (t) => {
  const { home, repo } = project(t)
  const planner = await startAgent(t, { home, cwd: repo })
  const impl = await startAgent(t, { home, cwd: repo })
  await planner.ok('coordination_init', { role: 'planner' })
  await impl.ok('coordination_init', { role: 'implementer', name: 'impl-1' })
  await impl.ok('lock_acquire', { path: 'src/a.ts' })
  await planner.ok('lock_release', { path: 'src/a.ts', force: true })
  const failed = await impl.call('task_claim', { id: 'task-missing' })
  assert.equal(failed.code, 'NOT_FOUND')
  assert.deepEqual(failed.notices, [])
  const listed = await impl.call('lock_list')
  assert.deepEqual(listed.body, [])
  assert.deepEqual(
    listed.notices.map((notice: any) => [notice.kind, notice.reason, notice.path, notice.by]),
    [['lock_revoked', 'forced', 'src/a.ts', 'planner']],
  )
  assert.deepEqual((await impl.call('lock_list')).notices, [], 'delivered once')
})
