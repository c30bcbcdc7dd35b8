import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { startAgent } from './support/mcp-helpers.js'
import { tempDir } from './support/helpers.js'

const huge = 'x'.repeat(20_001)
const deep = JSON.parse('{"a":'.repeat(10) + '1' + '}'.repeat(10))
const proto = JSON.parse('{"title":"t","complexity":"simple","metadata":{"__proto__":{"polluted":true}}}')

/** [tool, arguments] that must each be refused with INVALID_INPUT without changing anything. */
const BAD: [string, Record<string, unknown>][] = [
  ['coordination_init', {}],
  ['coordination_init', { role: 'boss' }],
  ['coordination_init', { role: 'planner', name: 'system' }],
  ['coordination_init', { role: 'planner', name: 'a..b' }],
  ['coordination_init', { role: 'planner', extra: 1 }],
  ['project_context_set', { description: huge, endState: 'x' }],
  ['project_context_set', { description: 'x' }],
  ['project_context_set', { description: 'x', endState: 'y', techStack: 'node' }],
  ['project_status_set', { status: 'paused' }],
  ['task_create', { title: '', complexity: 'simple' }],
  ['task_create', { title: 'x'.repeat(201), complexity: 'simple' }],
  ['task_create', { title: 't', complexity: 'trivial' }],
  ['task_create', { title: 't', complexity: 'simple', status: 'done' }],
  ['task_create', { title: 't', complexity: 'simple', status: 'in_progress' }],
  ['task_create', { title: 't', complexity: 'simple', files: ['../outside.ts'] }],
  ['task_create', { title: 't', complexity: 'simple', files: ['a\u0000b'] }],
  ['task_create', { title: 't', complexity: 'simple', metadata: deep }],
  ['task_create', proto],
  ['task_create', { title: 't', complexity: 'simple', constructor: 'x' }],
  ['task_create', { title: 't', complexity: 'simple', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }],
  ['task_claim', {}],
  ['task_claim', { id: 42 }],
  ['task_claim', { id: 'x'.repeat(65) }],
  ['task_claim_next', { tag: '' }],
  ['task_update', { id: 'task-1', status: 'finished' }],
  ['task_update', { id: 'task-1', ifVersion: -1 }],
  ['task_list', { limit: 0 }],
  ['task_list', { limit: 1001 }],
  ['task_list', { status: 'open' }],
  ['task_submit_for_review', { id: 'task-1', reviewNotes: '' }],
  ['task_approve_batch', { ids: [] }],
  ['task_approve_batch', { ids: ['a', 'a'] }],
  ['task_request_changes', { id: 'task-1' }],
  ['lock_acquire', { path: '' }],
  ['lock_acquire', { path: '/etc/passwd' }],
  ['lock_acquire', { path: 'a', waitMs: 60_001 }],
  ['lock_acquire', { path: 'a', note: 'n'.repeat(501) }],
  ['lock_release', {}],
  ['lock_list', { status: 'all' }],
  ['note_append', { text: '' }],
  ['note_append', { text: 'x'.repeat(8001) }],
  ['note_list', { since: 'yesterday' }],
  ['events_wait', { timeoutMs: 60_001 }],
  ['events_wait', { types: Array.from({ length: 21 }, () => 'task.*') }],
  ['events_wait', { mine: true }],
  ['log_append', { event: 'Bad Name' }],
  ['log_append', { event: 'ok', payload: [1, 2] }],
  ['discussion_start', { topic: 't' }],
  ['discussion_start', { topic: 't', message: 'm', priority: 'urgent', author: 'a' }],
  ['discussion_reply', { discussionId: 'disc-1', message: huge, author: 'a' }],
  ['discussion_cleanup', { archiveOlderThanDays: -1 }],
  ['session_reset', {}],
  ['session_reset', { confirm: 'yes' }],
  ['status_get', { projectRoot: 'x'.repeat(1025) }],
]

/** Every file of the store but its lock folders, logs and the shared server's run folder, which carry no state (a call may take and release a lock). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (path: string) => {
    for (const name of readdirSync(path)) {
      const full = join(path, name)
      if (/\.lock($|\.)/.test(name) || (path === dir && (name === 'logs' || name === 'run'))) continue
      const stat = statSync(full)
      if (stat.isDirectory()) walk(full)
      else if (stat.isFile()) out.set(full, readFileSync(full, 'utf8'))
    }
  }
  walk(dir)
  return out
}

test('bad input to every tool is INVALID_INPUT, changes nothing on disk, and the server stays up', { timeout: 120_000 }, async (t) => {
  const home = tempDir(t)
  const repo = join(home, 'repo')
  mkdirSync(repo)
  const agent = await startAgent(t, { home, cwd: repo })
  await agent.ok('note_append', { text: 'seed', author: 'seed' })
  const data = join(home, '.lockstep-mcp')
  const before = snapshot(data)
  for (const [tool, args] of BAD) {
    const reply = await agent.call(tool, args)
    assert.equal(reply.code, 'INVALID_INPUT', `${tool} ${JSON.stringify(args).slice(0, 80)} → ${reply.text.slice(0, 200)}`)
    assert.match(reply.text, /^INVALID_INPUT: /)
  }
  assert.deepEqual(snapshot(data), before)
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
  assert.equal((await agent.ok('note_list')).length, 1, 'still serving')
})
