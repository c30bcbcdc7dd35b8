import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { startAgent } from './support/mcp-helpers.js'
import { tempDir } from './support/helpers.js'

// run `npm run build` first: these tests start the built CLI

function project(t: TestContext) {
  const home = tempDir(t, 'lockstep-mcp-files-')
  const repo = join(home, 'repo')
  const outside = join(home, 'outside')
  mkdirSync(join(repo, 'src'), { recursive: true })
  mkdirSync(outside)
  writeFileSync(join(repo, 'src', 'a.ts'), 'original')
  return { home, repo, outside }
}

test("two server processes: file_write is LOCKED by the other agent's lock until it is released", { timeout: 60_000 }, async (t) => {
  const { home, repo } = project(t)
  const args = ['--mode', 'strict', '--roots', repo]
  const [a, b] = await Promise.all([startAgent(t, { home, cwd: repo, args }), startAgent(t, { home, cwd: repo, args })])
  const nameA = (await a.ok('coordination_init', { role: 'implementer' })).agent.name
  const nameB = (await b.ok('coordination_init', { role: 'implementer' })).agent.name
  assert.notEqual(nameA, nameB)
  await a.ok('lock_acquire', { path: 'src/a.ts' })

  const refused = await b.call('file_write', { path: 'src/a.ts', content: 'from B' })
  assert.equal(refused.code, 'LOCKED')
  assert.deepEqual([refused.body.data.holder, refused.body.data.path], [nameA, 'src/a.ts'])
  assert.ok(refused.body.data.expiresAt)
  assert.equal(readFileSync(join(repo, 'src', 'a.ts'), 'utf8'), 'original')

  const mine = await a.ok('file_write', { path: 'src/a.ts', content: 'from A' })
  assert.deepEqual([mine.path, mine.created], [join(repo, 'src', 'a.ts'), false])
  await a.ok('lock_release', { path: 'src/a.ts' })
  await b.ok('file_write', { path: 'src/a.ts', content: 'from B' })
  assert.equal(readFileSync(join(repo, 'src', 'a.ts'), 'utf8'), 'from B')
  const read = await a.ok('file_read', { path: 'src/a.ts' })
  assert.deepEqual([read.content, read.relativePath, read.truncated], ['from B', 'src/a.ts', false])

  const events = await a.ok('events_wait', { since: 0, types: ['file.*'], timeoutMs: 0 })
  assert.deepEqual(
    events.events.map((event: any) => [event.type, event.actor]),
    [
      ['file.refused', nameB],
      ['file.written', nameA],
      ['file.written', nameB],
    ],
  )
})

test('two server processes: an artifact written by one agent is read by the other, and artifact: locks guard it', { timeout: 60_000 }, async (t) => {
  const { home, repo } = project(t)
  const [a, b] = await Promise.all([startAgent(t, { home, cwd: repo }), startAgent(t, { home, cwd: repo })])
  const nameA = (await a.ok('coordination_init', { role: 'implementer' })).agent.name
  await b.ok('coordination_init', { role: 'implementer' })
  const written = await a.ok('artifact_write', { path: 'design/api.md', content: '# API' })
  assert.deepEqual(written, { path: 'design/api.md', name: 'design/api.md', bytes: 5, version: 1 })
  const read = await b.ok('artifact_read', { path: 'design/api.md' })
  assert.deepEqual([read.content, read.author, read.version], ['# API', nameA, 1])
  const missing = await b.call('artifact_read', { path: 'design/nope.md' })
  assert.equal(missing.code, 'NOT_FOUND')
  assert.deepEqual(missing.body.data.available, ['design/api.md'])

  await a.ok('lock_acquire', { path: 'artifact:design/**' })
  const locked = await b.call('artifact_write', { path: 'design/api.md', content: 'B was here', mode: 'append' })
  assert.equal(locked.code, 'LOCKED')
  assert.equal((await b.ok('artifact_read', { path: 'design/api.md' })).content, '# API')
})

test('a server in strict and allowlist mode refuses escapes and chained commands over MCP', { timeout: 60_000 }, async (t) => {
  const { home, repo, outside } = project(t)
  const args = ['--mode', 'strict', '--roots', repo, '--command-mode', 'allowlist', '--command-allow', 'echo,node,touch']
  const agent = await startAgent(t, { home, cwd: repo, args })
  const marker = join(outside, 'marker')
  assert.equal((await agent.call('file_write', { path: '../outside/marker', content: 'x' })).code, 'FORBIDDEN')
  assert.equal((await agent.call('file_read', { path: '../outside' })).code, 'FORBIDDEN')
  assert.equal((await agent.call('command_run', { command: `echo hi && touch ${marker}` })).code, 'FORBIDDEN')
  assert.equal((await agent.call('command_run', { command: `touch ${marker}`, shell: true })).code, 'FORBIDDEN')
  assert.equal((await agent.call('command_run', { command: `touch ${marker}`, cwd: outside })).code, 'FORBIDDEN')
  assert.equal(existsSync(marker), false)
  const ran = await agent.ok('command_run', { command: 'echo hi' })
  assert.deepEqual([ran.stdout, ran.exitCode], ['hi\n', 0])
  const failed = await agent.ok('command_run', { command: 'node -e process.exitCode=4' })
  assert.equal(failed.exitCode, 4)

  const { tools } = await agent.client.listTools()
  const annotations = Object.fromEntries(tools.map((tool) => [tool.name, tool.annotations?.readOnlyHint === true]))
  assert.deepEqual(
    ['file_read', 'file_write', 'artifact_read', 'artifact_write', 'command_run', 'tool_install'].map((name) => annotations[name]),
    [true, false, true, false, false, false],
  )
})
