import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { guardStates, installGuards, removeGuards } from '../lib/guard/guard-setup.js'
import { guardCommand } from '../lib/guard/client-hooks.js'
import { rejectsWith, tempDir } from './support/helpers.js'

const RUNTIME = { node: '/usr/bin/node', cli: '/opt/lockstep mcp/dist/cli.js' }
const CLAUDE_BEFORE = `{
  "permissions": { "allow": ["Bash(npm test)"] },
  "hooks": {
    "PreToolUse": [{ "matcher": "Bash", "hooks": [{ "type": "command", "command": "./check-bash.sh" }] }],
    "Stop": [{ "hooks": [{ "type": "command", "command": "./notify.sh" }] }]
  }
}
`

test('installGuards keeps every other setting and hook, changes nothing the second time, and removeGuards restores the files', async (t) => {
  const root = tempDir(t)
  mkdirSync(join(root, '.claude'))
  writeFileSync(join(root, '.claude', 'settings.json'), CLAUDE_BEFORE)
  const first = await installGuards(root, RUNTIME)
  assert.deepEqual(
    first.map((report) => [report.file, report.action]),
    [
      ['.claude/settings.json', 'updated'],
      ['.codex/hooks.json', 'created'],
      ['.cursor/hooks.json', 'created'],
      ['.gemini/settings.json', 'created'],
    ],
  )
  const claude = JSON.parse(readFileSync(join(root, '.claude', 'settings.json'), 'utf8'))
  assert.deepEqual(claude.permissions, { allow: ['Bash(npm test)'] })
  assert.deepEqual(claude.hooks.Stop, [{ hooks: [{ type: 'command', command: './notify.sh' }] }])
  assert.equal(claude.hooks.PreToolUse.length, 2)
  assert.equal(claude.hooks.PreToolUse[0].matcher, 'Bash')
  assert.equal(claude.hooks.PreToolUse[1].matcher, 'Edit|Write|MultiEdit|NotebookEdit')
  assert.equal(JSON.parse(readFileSync(join(root, '.cursor', 'hooks.json'), 'utf8')).version, 1)
  assert.ok((await guardStates(root)).every((state) => state.installed))

  const again = await installGuards(root, RUNTIME)
  assert.ok(
    again.every((report) => report.action === 'unchanged'),
    'a second init changes nothing',
  )

  const removed = await removeGuards(root)
  assert.ok(removed.every((report) => report.action === 'removed'))
  assert.deepEqual(JSON.parse(readFileSync(join(root, '.claude', 'settings.json'), 'utf8')), JSON.parse(CLAUDE_BEFORE), 'only our hook went')
  for (const file of ['.codex/hooks.json', '.cursor/hooks.json', '.gemini/settings.json']) assert.equal(existsSync(join(root, file)), false, `${file} was ours alone`)
  assert.ok((await guardStates(root)).every((state) => !state.installed))
  assert.ok((await removeGuards(root)).every((report) => report.action === 'not present'))
  assert.ok(
    (await installGuards(root, RUNTIME)).some((report) => report.action === 'updated'),
    'enable puts them back',
  )
})

test('a client file that is not JSON stops the install with CONFLICT and is left as it was', async (t) => {
  const root = tempDir(t)
  mkdirSync(join(root, '.gemini'))
  writeFileSync(join(root, '.gemini', 'settings.json'), '{ "theme": ')
  await rejectsWith(installGuards(root, RUNTIME), 'CONFLICT')
  assert.equal(readFileSync(join(root, '.gemini', 'settings.json'), 'utf8'), '{ "theme": ')
  assert.equal(existsSync(join(root, '.claude', 'settings.json')), false, 'every file is checked before any is written')
})

test('a hook whose lockstep is gone lets the edit through and says so once', (t) => {
  const tmp = tempDir(t)
  const command = guardCommand(process.execPath, join(tmp, 'removed', 'dist', 'cli.js'), 'claude')
  const run = () => spawnSync('sh', ['-c', command], { input: '{"tool_name":"Edit","tool_input":{"file_path":"/x"}}', env: { PATH: process.env.PATH, TMPDIR: tmp }, encoding: 'utf8' })
  const first = run()
  assert.equal(first.status, 0)
  assert.notEqual(first.stderr, '')
  assert.equal(first.stdout, '', 'no decision: the client goes on as without the hook')
  const second = run()
  assert.equal(second.status, 0)
  assert.equal(second.stderr, '', 'said once')
})
