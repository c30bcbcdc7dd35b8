import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js'
import { startAgent } from './support/mcp-helpers.js'
import { tempDir } from './support/helpers.js'

/** The byte budgets of the `tools` array of tools/list, per profile, with the number of tools each lists. */
const BUDGETS: [profile: string, tools: number, bytes: number][] = [
  ['all', 45, 18_500],
  ['planner', 41, 18_500],
  ['implementer', 30, 11_000],
  ['core', 19, 7_000],
]

const READ_ONLY = [
  'status_get',
  'task_list',
  'task_summary',
  'lock_list',
  'note_list',
  'events_wait',
  'project_context_get',
  'discussion_get',
  'discussion_list',
  'discussion_inbox',
  'implementer_list',
  'worktree_status',
  'worktree_list',
  'file_read',
  'artifact_read',
]

async function listTools(t: Parameters<typeof tempDir>[0], profile: string) {
  const home = tempDir(t)
  const repo = join(home, 'repo')
  mkdirSync(repo)
  const agent = await startAgent(t, { home, cwd: repo, args: ['--tools', profile] })
  return { agent, tools: (await agent.client.listTools()).tools }
}

for (const [profile, count, budget] of BUDGETS) {
  test(`tools/list of the ${profile} profile fits ${budget} bytes and describes every parameter`, { timeout: 30_000 }, async (t) => {
    const { tools } = await listTools(t, profile)
    assert.equal(tools.length, count)
    const bytes = Buffer.byteLength(JSON.stringify(tools))
    assert.ok(bytes <= budget, `${profile}: ${bytes} bytes > ${budget}`)
    for (const tool of tools) {
      // one sentence, saying when to use the tool
      assert.match(tool.description ?? '', /^[A-Z][^.]*(\.\w[^.]*)*\.$/, `${tool.name}: ${tool.description}`)
      assert.ok((tool.description ?? '').length <= 120, tool.name)
      for (const [param, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        const description = (schema as { description?: string }).description
        assert.ok(typeof description === 'string' && description.trim().length >= 3, `${tool.name}.${param} has no description`)
        // Codex drops the description of a property without a type (an enumeration is typed by its values)
        assert.ok((schema as { type?: string; enum?: unknown }).type || (schema as { enum?: unknown }).enum, `${tool.name}.${param} has no type`)
      }
      for (const name of tool.inputSchema.required ?? []) assert.ok(name in (tool.inputSchema.properties ?? {}), `${tool.name}: required ${name} is listed`)
      // annotations name only what is true
      for (const [hint, value] of Object.entries(tool.annotations ?? {})) assert.equal(value, true, `${tool.name}.${hint}`)
    }
  })
}

test('tools/list keeps enumerations, marks required fields and annotates truthfully', { timeout: 30_000 }, async (t) => {
  const { agent, tools } = await listTools(t, 'all')
  const byName = new Map(tools.map((tool) => [tool.name, tool]))
  const prop = (tool: string, param: string) => (byName.get(tool)!.inputSchema.properties as Record<string, any>)[param]
  assert.deepEqual(prop('coordination_init', 'role').enum, ['planner', 'implementer'])
  assert.deepEqual(prop('task_update', 'status').enum, ['todo', 'in_progress', 'blocked', 'review', 'done'])
  assert.deepEqual(prop('tool_install', 'manager').enum.length, 11)
  assert.ok(byName.get('session_reset')!.inputSchema.required?.includes('confirm'))
  assert.deepEqual(byName.get('task_submit_for_review')!.inputSchema.required, ['id', 'reviewNotes'])
  for (const tool of tools) assert.equal(tool.annotations?.readOnlyHint === true, READ_ONLY.includes(tool.name), tool.name)
  for (const name of ['session_reset', 'implementer_reset', 'worktree_cleanup', 'discussion_cleanup']) assert.equal(byName.get(name)!.annotations?.destructiveHint, true, name)
  assert.equal(byName.get('task_create')!.annotations?.destructiveHint, undefined)
  // every field a tool requires is marked required: leaving all out names one of them
  for (const tool of tools.filter((item) => item.inputSchema.required?.length)) {
    const reply = await agent.call(tool.name, {})
    assert.equal(reply.code, 'INVALID_INPUT', tool.name)
    assert.ok(tool.inputSchema.required!.includes(reply.body.data.property), `${tool.name} refused ${reply.body.data.property}`)
  }
})

test('--tools auto lists core tools, then the role profile after coordination_init, with tools/list_changed', { timeout: 30_000 }, async (t) => {
  const { agent, tools } = await listTools(t, 'auto')
  assert.equal(agent.client.getServerCapabilities()?.tools?.listChanged, true)
  assert.equal(tools.length, 19)
  let changed = 0
  agent.client.setNotificationHandler(ToolListChangedNotificationSchema, async () => void changed++)
  await agent.ok('coordination_init', { role: 'implementer' })
  const deadline = Date.now() + 5000
  while (!changed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  assert.equal(changed, 1)
  const after = (await agent.client.listTools()).tools.map((tool) => tool.name)
  assert.equal(after.length, 30)
  assert.ok(after.includes('file_write'))
  assert.equal((await agent.call('file_read', { path: 'missing.txt' })).code, 'NOT_FOUND', 'a newly listed tool can be called')
})
