import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { startAgent } from './support/mcp-helpers.js'
import { tempDir } from './support/helpers.js'

test("kill -9 of an agent's server: after the grace period its lock frees, its task returns to todo with a note, and it is told", { timeout: 120_000 }, async (t) => {
  const home = tempDir(t)
  const repo = join(home, 'repo')
  mkdirSync(repo)
  const args = ['--grace', '5']
  const planner = await startAgent(t, { home, cwd: repo, args })
  const doomed = await startAgent(t, { home, cwd: repo, args })
  await planner.ok('coordination_init', { role: 'planner' })
  await doomed.ok('coordination_init', { role: 'implementer', name: 'impl-1' })
  const task = await planner.ok('task_create', { title: 'A', complexity: 'medium', files: ['src/a.ts'] })
  await doomed.ok('task_claim', { id: task.id })
  await doomed.ok('lock_acquire', { path: 'docs/guide.md' })
  process.kill(doomed.pid, 'SIGKILL')
  const started = Date.now()
  // the planner's own calls run the expiry step; within the grace period nothing is taken
  await planner.ok('task_update', { id: task.id, tags: ['watch'] })
  assert.equal((await planner.ok('lock_list')).length, 2)
  let freed = false
  while (Date.now() - started < 30_000) {
    await planner.ok('task_update', { id: task.id, tags: [`t${Date.now()}`] })
    if ((await planner.ok('lock_list')).length === 0) {
      freed = true
      break
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  assert.ok(freed, 'locks freed after the grace period')
  assert.ok(Date.now() - started >= 4_500, 'not before the grace period')
  const [back] = (await planner.ok('task_list')).tasks
  assert.equal(back.status, 'todo')
  assert.equal(back.owner, undefined)
  const notes = await planner.ok('note_list', { author: 'system' })
  assert.ok(notes.some((note: any) => note.text.includes(task.id) && note.text.includes('impl-1')))
  const implementers = await planner.ok('implementer_list')
  assert.equal(implementers.implementers[0].status, 'stopped')
  assert.equal(implementers.implementers[0].liveness, 'gone')
  const returning = await startAgent(t, { home, cwd: repo, args })
  const init = await returning.ok('coordination_init', { role: 'implementer', name: 'impl-1' })
  assert.ok(init._notices.some((notice: any) => notice.kind === 'task_revoked' && notice.reason === 'holder_gone' && notice.id === task.id))
})

test('a name whose session is gone can be taken over within the grace period, keeping its claims', { timeout: 60_000 }, async (t) => {
  const home = tempDir(t)
  const repo = join(home, 'repo')
  mkdirSync(repo)
  const planner = await startAgent(t, { home, cwd: repo })
  const first = await startAgent(t, { home, cwd: repo })
  await planner.ok('coordination_init', { role: 'planner' })
  await first.ok('coordination_init', { role: 'implementer', name: 'impl-1' })
  const task = await planner.ok('task_create', { title: 'A', complexity: 'medium', files: ['src/a.ts'] })
  await first.ok('task_claim', { id: task.id })
  process.kill(first.pid, 'SIGKILL')
  await new Promise((resolve) => setTimeout(resolve, 200))
  const second = await startAgent(t, { home, cwd: repo })
  await second.ok('coordination_init', { role: 'implementer', name: 'impl-1' })
  const again = await second.ok('task_claim', { id: task.id })
  assert.equal(again.alreadyClaimed, true)
  assert.equal((await planner.ok('lock_list'))[0].owner, 'impl-1')
})

test('events_wait wakes on a change made by another server process', { timeout: 60_000 }, async (t) => {
  const home = tempDir(t)
  const repo = join(home, 'repo')
  mkdirSync(repo)
  const waiter = await startAgent(t, { home, cwd: repo })
  const actor = await startAgent(t, { home, cwd: repo })
  await waiter.ok('coordination_init', { role: 'implementer', name: 'impl-1' })
  await actor.ok('coordination_init', { role: 'planner' })
  const waiting = waiter.ok('events_wait', { types: ['task.*'], timeoutMs: 20_000 })
  await new Promise((resolve) => setTimeout(resolve, 300))
  const task = await actor.ok('task_create', { title: 'wake up', complexity: 'simple', owner: 'impl-1' })
  const result = await waiting
  assert.equal(result.timedOut, false)
  assert.deepEqual(
    result.events.map((event: any) => [event.type, event.ids.taskId]),
    [['task.created', task.id]],
  )
  const mine = await waiter.ok('events_wait', { since: 0, mine: true, timeoutMs: 0 })
  assert.ok(mine.events.every((event: any) => event.for.includes('impl-1')))
  assert.ok(mine.events.some((event: any) => event.type === 'task.created'))
  const none = await waiter.ok('events_wait', { since: result.cursor, types: ['discussion.*'], timeoutMs: 200 })
  assert.equal(none.timedOut, true)
  assert.equal(none.events.length, 0)
})
