import { journalBytes } from './support/stored.js'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Binding, Ctx } from '../lib/state/context.js'
import { archiveDiscussion, cleanupDiscussions, discussionInbox, getDiscussion } from '../lib/messages/discussions.js'
import { listDiscussions, replyDiscussion, resolveDiscussion, startDiscussion } from '../lib/messages/discussions.js'
import type { Agent, Task } from '../lib/state/schema.js'
import { task as storedTask } from './support/store-helpers.js'
import { peerCtx, testCtx, rejectsWith as rejects } from './support/helpers.js'
import { projectOf } from './support/team.js'

const DAY = 86_400_000

function bind(ctx: Ctx, name: string, role: Binding['role'] = 'implementer'): Ctx {
  const project = projectOf(ctx)
  return peerCtx(ctx, { binding: { projectId: project.id, projectRoot: project.root, agentId: `agent-${name}`, name, role } })
}

/** A planner and an implementer registered in one fresh project, on a clock the test moves. */
function team(t: { after: (fn: () => void) => void }) {
  const clock = { ms: Date.parse('2026-03-01T09:00:00.000Z') }
  const base = testCtx(t, { now: () => new Date(clock.ms) })
  return { base, clock, planner: bind(base, 'planner', 'planner'), impl: bind(base, 'impl-1') }
}

const journalOf = (ctx: Ctx) => journalBytes(projectOf(ctx).dir)
const notes = async (ctx: Ctx) => (await ctx.store.read(projectOf(ctx), 'notes')).notes
const events = async (ctx: Ctx) => (await ctx.store.eventReader(projectOf(ctx)).readSince(0, 100)).events.filter((event) => event.type.startsWith('discussion.'))

function pick(record: object, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, (record as Record<string, unknown>)[key]]))
}

test('start, reply, resolve and get make one round trip with notes and events', async (t) => {
  const { planner, impl } = team(t)
  const started = await startDiscussion(impl, { topic: 'Session storage', message: 'Redis or memory?', category: 'architecture', waitingOn: 'planner' })
  const id = started.discussion.id
  assert.match(id, /^disc-/)
  assert.deepEqual(pick(started.discussion, ['status', 'waitingOn', 'createdBy', 'priority', 'messageCount']), {
    status: 'waiting',
    waitingOn: 'planner',
    createdBy: 'impl-1',
    priority: 'medium',
    messageCount: 1,
  })
  assert.deepEqual([started.success, started.message.author, started.instruction.includes('planner')], [true, 'impl-1', true])
  const reply = await replyDiscussion(planner, { discussionId: id, message: 'Memory for now.', recommendation: 'Use a Map behind an interface.' })
  assert.deepEqual([reply.discussion.waitingOn, reply.discussion.messageCount, reply.message.recommendation], ['impl-1', 2, 'Use a Map behind an interface.'])
  const resolved = await resolveDiscussion(planner, { discussionId: id, decision: 'In-memory store', reasoning: 'One process only' })
  assert.deepEqual(pick(resolved.discussion, ['status', 'decidedBy', 'decisionReasoning', 'waitingOn']), {
    status: 'resolved',
    decidedBy: 'planner',
    decisionReasoning: 'One process only',
    waitingOn: undefined,
  })
  assert.equal(resolved.discussion.resolvedAt, '2026-03-01T09:00:00.000Z')
  const got = await getDiscussion(impl, { discussionId: id })
  assert.deepEqual([got.found, got.messageCount, got.discussion.decision], [true, 2, 'In-memory store'])
  assert.deepEqual(
    got.messages.map((message) => message.author),
    ['impl-1', 'planner'],
  )
  const posted = await notes(impl)
  assert.deepEqual(
    posted.map((note) => note.author),
    ['system', 'system'],
  )
  assert.ok(posted[0].text.startsWith('[DISCUSSION] impl-1 opened "Session storage"') && posted[0].text.endsWith(', waiting on planner'))
  assert.ok(posted[1].text.startsWith('[DECISION] "Session storage"'))
  const logged = await events(impl)
  assert.deepEqual(
    logged.map((event) => [event.type, event.actor, event.for]),
    [
      ['discussion.started', 'impl-1', ['planner']],
      ['discussion.replied', 'planner', ['impl-1']],
      ['discussion.resolved', 'planner', ['impl-1', 'planner']],
    ],
  )
  assert.ok(logged.every((event) => event.ids?.discussionId === id))
  assert.deepEqual(logged[2].data, { decision: 'In-memory store' })
})

test('replyDiscussion routes the question back to the asker unless told otherwise', async (t) => {
  const { planner, impl } = team(t)
  const { discussion } = await startDiscussion(impl, { topic: 'API shape', message: 'REST?', waitingOn: 'planner' })
  const own = await replyDiscussion(impl, { discussionId: discussion.id, message: 'Or GraphQL?' })
  assert.equal(own.discussion.waitingOn, 'planner', 'nobody else has written yet, so the planner stays waited on')
  const answer = await replyDiscussion(planner, { discussionId: discussion.id, message: 'REST.' })
  assert.deepEqual([answer.discussion.status, answer.discussion.waitingOn], ['waiting', 'impl-1'])
  const back = await replyDiscussion(impl, { discussionId: discussion.id, message: 'Which version prefix?' })
  assert.equal(back.discussion.waitingOn, 'planner')
  const done = await replyDiscussion(planner, { discussionId: discussion.id, message: '/v1.', waitingOn: null })
  assert.deepEqual([done.discussion.status, 'waitingOn' in done.discussion], ['open', false])
  const replied = (await events(impl)).filter((event) => event.type === 'discussion.replied')
  assert.equal('for' in replied.at(-1)!, false)
  assert.equal((await notes(impl)).length, 1, 'replies post no notes')
})

test('a resolved or archived discussion takes no replies', async (t) => {
  const { planner, impl } = team(t)
  const first = await startDiscussion(impl, { topic: 'One', message: 'm' })
  const second = await startDiscussion(impl, { topic: 'Two', message: 'm' })
  await resolveDiscussion(planner, { discussionId: first.discussion.id, decision: 'yes', reasoning: 'because' })
  await archiveDiscussion(planner, { discussionId: second.discussion.id })
  const before = journalOf(impl)
  await rejects(replyDiscussion(impl, { discussionId: first.discussion.id, message: 'but' }), 'CONFLICT')
  await rejects(replyDiscussion(impl, { discussionId: second.discussion.id, message: 'but' }), 'CONFLICT')
  await rejects(replyDiscussion(impl, { discussionId: 'disc-missing', message: 'but' }), 'NOT_FOUND')
  assert.equal(journalOf(impl), before)
})

test('resolving again revises the decision, and resolving an archived discussion un-archives it', async (t) => {
  const { planner, impl, base } = team(t)
  const { discussion } = await startDiscussion(impl, { topic: 'Logger', message: 'pino?' })
  await resolveDiscussion(planner, { discussionId: discussion.id, decision: 'pino', reasoning: 'fast' })
  const revised = await resolveDiscussion(planner, { discussionId: discussion.id, decision: 'console', reasoning: 'no dependency' })
  assert.equal(revised.discussion.decision, 'console')
  await archiveDiscussion(planner, { discussionId: discussion.id })
  const task = await seedTask(base)
  const back = await resolveDiscussion(planner, { discussionId: discussion.id, decision: 'console.error', reasoning: 'stderr only', linkedTaskId: task.id })
  assert.deepEqual(pick(back.discussion, ['status', 'archivedAt', 'linkedTaskId']), { status: 'resolved', archivedAt: undefined, linkedTaskId: task.id })
  await rejects(resolveDiscussion(planner, { discussionId: discussion.id, decision: 'x', reasoning: 'y', linkedTaskId: 'task-nothere' }), 'NOT_FOUND')
  await rejects(resolveDiscussion(planner, { discussionId: 'disc-nothere', decision: 'x', reasoning: 'y' }), 'NOT_FOUND')
  assert.equal((await getDiscussion(impl, { discussionId: discussion.id })).discussion.decision, 'console.error')
})

test('discussionInbox lists only discussions waiting on that agent', async (t) => {
  const { planner, impl, base } = team(t)
  const low = await startDiscussion(impl, { topic: 'low', message: 'm', priority: 'low', waitingOn: 'planner' })
  const blocking = await startDiscussion(impl, { topic: 'blocking', message: 'm', priority: 'blocking', waitingOn: 'planner' })
  await startDiscussion(impl, { topic: 'open', message: 'm' })
  await startDiscussion(planner, { topic: 'for impl', message: 'm', waitingOn: 'impl-1' })
  const resolved = await startDiscussion(impl, { topic: 'resolved', message: 'm', waitingOn: 'planner' })
  await resolveDiscussion(planner, { discussionId: resolved.discussion.id, decision: 'd', reasoning: 'r' })
  const inbox = await discussionInbox(planner, {})
  assert.deepEqual([inbox.agent, inbox.waitingCount], ['planner', 2])
  assert.deepEqual(
    inbox.discussions.map((item) => item.id),
    [blocking.discussion.id, low.discussion.id],
  )
  assert.ok(inbox.instruction.includes('planner'))
  assert.equal((await discussionInbox(base, { agent: 'impl-1' })).waitingCount, 1)
  assert.equal((await discussionInbox(base, { agent: 'nobody' })).waitingCount, 0)
  await rejects(discussionInbox(base, {}), 'INVALID_INPUT')
})

test('listDiscussions filters, orders by priority then newest, and limits', async (t) => {
  const { planner, impl, clock } = team(t)
  const ids: Record<string, string> = {}
  const rows = [
    ['old-high', 'high', 'question'],
    ['low', 'low', 'other'],
    ['new-high', 'high', 'blocker'],
    ['blocking', 'blocking', 'blocker'],
  ] as const
  for (const [topic, priority, category] of rows) {
    clock.ms += 1000
    ids[topic] = (await startDiscussion(impl, { topic, message: 'm', priority, category, ...(topic === 'low' ? { waitingOn: 'planner' } : {}) })).discussion.id
  }
  await resolveDiscussion(planner, { discussionId: ids['old-high'], decision: 'd', reasoning: 'r' })
  const topics = async (filter: object) => (await listDiscussions(planner, filter)).discussions.map((item) => item.topic)
  assert.deepEqual(await topics({}), ['blocking', 'new-high', 'old-high', 'low'])
  assert.deepEqual(await listDiscussions(planner, {}).then((all) => [all.count, all.total]), [4, 4])
  assert.deepEqual(await listDiscussions(planner, { limit: 2 }).then((page) => [page.count, page.total]), [2, 4])
  assert.deepEqual(await topics({ category: 'blocker' }), ['blocking', 'new-high'])
  assert.deepEqual(await topics({ status: 'resolved' }), ['old-high'])
  assert.deepEqual(await topics({ priority: 'high', status: 'open' }), ['new-high'])
  assert.deepEqual(await topics({ waitingOn: 'PLANNER' }), ['low'])
})

test('archive, then cleanup archives old resolved discussions and deletes old archived ones with their messages', async (t) => {
  const { planner, impl, clock, base } = team(t)
  const archived = await startDiscussion(impl, { topic: 'archived', message: 'm', waitingOn: 'planner' })
  const resolved = await startDiscussion(impl, { topic: 'resolved', message: 'm' })
  const kept = await startDiscussion(impl, { topic: 'kept', message: 'm' })
  await replyDiscussion(planner, { discussionId: archived.discussion.id, message: 'answer' })
  await resolveDiscussion(planner, { discussionId: resolved.discussion.id, decision: 'done', reasoning: 'r' })
  const first = await archiveDiscussion(planner, { discussionId: archived.discussion.id })
  assert.deepEqual([first.success, first.discussion.status, 'waitingOn' in first.discussion, typeof first.message], [true, 'archived', false, 'string'])
  clock.ms += DAY
  const again = await archiveDiscussion(planner, { discussionId: archived.discussion.id })
  assert.equal(again.discussion.archivedAt, first.discussion.archivedAt, 'archiving again keeps the retention clock')
  await rejects(archiveDiscussion(planner, { discussionId: 'disc-nothere' }), 'NOT_FOUND')
  assert.deepEqual(await cleanupDiscussions(planner, {}).then((result) => [result.archived, result.deleted]), [0, 0])
  clock.ms += 7 * DAY
  const week = await cleanupDiscussions(planner, {})
  assert.deepEqual([week.success, week.archived, week.deleted], [true, 1, 0])
  assert.equal((await getDiscussion(impl, { discussionId: resolved.discussion.id })).discussion.status, 'archived')
  clock.ms += 30 * DAY
  const month = await cleanupDiscussions(planner, {})
  assert.deepEqual([month.archived, month.deleted], [0, 2])
  await rejects(getDiscussion(impl, { discussionId: archived.discussion.id }), 'NOT_FOUND')
  const left = await base.store.read(projectOf(base), 'discussions')
  assert.deepEqual(
    left.discussions.map((item) => item.id),
    [kept.discussion.id],
  )
  assert.deepEqual(
    left.messages.map((message) => message.discussionId),
    [kept.discussion.id],
  )
  const logged = (await events(impl)).filter((event) => event.type === 'discussion.archived' || event.type === 'discussion.deleted')
  const [a, r] = [archived.discussion.id, resolved.discussion.id]
  const expected = [
    ['discussion.archived', a],
    ['discussion.archived', r],
    ['discussion.deleted', a],
    ['discussion.deleted', r],
  ]
  assert.deepEqual(
    logged.map((event) => [event.type, event.ids?.discussionId]),
    expected,
  )
  assert.deepEqual(logged[0].for, ['impl-1', 'planner'])
  assert.deepEqual(logged[3].data, { decision: 'done' })
})

test('cleanup with zero days archives every resolved discussion at once', async (t) => {
  const { planner, impl } = team(t)
  const { discussion } = await startDiscussion(impl, { topic: 't', message: 'm' })
  await resolveDiscussion(planner, { discussionId: discussion.id, decision: 'd', reasoning: 'r' })
  const result = await cleanupDiscussions(planner, { archiveOlderThanDays: 0, deleteOlderThanDays: 0 })
  assert.deepEqual([result.archived, result.deleted], [1, 0])
  assert.equal((await cleanupDiscussions(planner, { deleteOlderThanDays: 0 })).deleted, 1)
})

test('identity: an unregistered session must name itself, a registered one may not name another', async (t) => {
  const { base, impl } = team(t)
  await rejects(startDiscussion(base, { topic: 't', message: 'm' }), 'INVALID_INPUT')
  assert.equal(journalOf(base), 0)
  const byName = await startDiscussion(base, { topic: 't', message: 'm', author: 'outsider' })
  assert.equal(byName.discussion.createdBy, 'outsider')
  await rejects(replyDiscussion(base, { discussionId: byName.discussion.id, message: 'm' }), 'INVALID_INPUT')
  await rejects(resolveDiscussion(base, { discussionId: byName.discussion.id, decision: 'd', reasoning: 'r' }), 'INVALID_INPUT')
  await rejects(startDiscussion(impl, { topic: 't', message: 'm', author: 'planner' }), 'FORBIDDEN')
  await rejects(replyDiscussion(impl, { discussionId: byName.discussion.id, message: 'm', author: 'planner' }), 'FORBIDDEN')
  await rejects(resolveDiscussion(impl, { discussionId: byName.discussion.id, decision: 'd', reasoning: 'r', decidedBy: 'planner' }), 'FORBIDDEN')
  const same = await replyDiscussion(impl, { discussionId: byName.discussion.id, message: 'm', author: 'impl-1' })
  assert.equal(same.message.author, 'impl-1')
})

test('bad input is refused with INVALID_INPUT and writes nothing', async (t) => {
  const { impl } = team(t)
  const cases: [(ctx: Ctx, raw: unknown) => Promise<unknown>, unknown[]][] = [
    [
      startDiscussion,
      [
        { topic: 't', message: 'm', colour: 'red' },
        JSON.parse('{"topic": "t", "message": "m", "__proto__": {"x": 1}}'),
        { topic: 'x'.repeat(201), message: 'm' },
        { topic: '', message: 'm' },
        { topic: 't', message: 'm'.repeat(20_001) },
        { topic: 't', message: 'm', category: 'gossip' },
        { topic: 't', message: 'm', priority: 'urgent' },
        { topic: 't', message: 'm', waitingOn: 'system' },
        { topic: 't' },
      ],
    ],
    [
      replyDiscussion,
      [
        { discussionId: 'disc-1', message: 'm', recommendation: '' },
        { discussionId: 'disc-1', message: 'm', waitingOn: 7 },
      ],
    ],
    [resolveDiscussion, [{ discussionId: 'disc-1', decision: 'd', reasoning: 'r'.repeat(10_001) }]],
    [listDiscussions, [{ status: 'closed' }, { limit: 0 }]],
    [discussionInbox, [{ agent: '../x' }]],
    [getDiscussion, [{ discussionId: '' }]],
    [archiveDiscussion, [{ discussionId: 'disc-1', force: true }]],
    [cleanupDiscussions, [{ archiveOlderThanDays: 3651 }, { deleteOlderThanDays: -1 }, { deleteOlderThanDays: 1.5 }]],
  ]
  for (const [fn, inputs] of cases) for (const raw of inputs) await rejects(fn(impl, raw), 'INVALID_INPUT')
  assert.equal(journalOf(impl), 0)
  assert.equal((await events(impl)).length, 0)
})

test('waitingOn warns about a name that is no agent of the project', async (t) => {
  const { impl, planner, base } = team(t)
  await seedAgent(base, 'Planner-A')
  const known = await startDiscussion(impl, { topic: 't', message: 'm', waitingOn: 'planner-a' })
  assert.deepEqual(['warnings' in known, known.discussion.waitingOn], [false, 'Planner-A'])
  const unknown = await startDiscussion(impl, { topic: 't', message: 'm', waitingOn: 'ghost' })
  assert.deepEqual([unknown.warnings?.length, unknown.discussion.waitingOn], [1, 'ghost'])
  const reply = await replyDiscussion(planner, { discussionId: known.discussion.id, message: 'm', waitingOn: 'ghost' })
  assert.deepEqual([reply.warnings?.length, reply.discussion.waitingOn], [1, 'ghost'])
})

async function seedAgent(ctx: Ctx, name: string): Promise<void> {
  const now = ctx.now().toISOString()
  const project = projectOf(ctx)
  const agent: Agent = {
    id: 'agent-seeded1',
    name,
    role: 'planner',
    type: 'other',
    status: 'active',
    isolation: 'shared',
    projectRoot: project.root,
    createdAt: now,
    updatedAt: now,
    pendingNotices: [],
  }
  await ctx.store.transact(project, ['agents'], (docs) => void docs.agents.agents.push(agent))
}

async function seedTask(ctx: Ctx): Promise<Task> {
  const now = ctx.now().toISOString()
  const task = storedTask('task-seeded1', { title: 'Seeded', createdBy: 'planner', createdAt: now, updatedAt: now })
  await ctx.store.transact(projectOf(ctx), ['tasks'], (docs) => void docs.tasks.tasks.push(task))
  return task
}
