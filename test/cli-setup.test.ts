import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { END_MARKER, START_MARKER } from '../lib/project/instructions.js'
import { claudeUserFile, cli, cliJson, readJson, scratch } from './support/cli-helpers.js'
import { ROOT } from './support/helpers.js'
import { CLI } from './support/mcp-helpers.js'

const FILES = ['CLAUDE.md', 'AGENTS.md']

function storeDirs(lockstepHome: string): string[] {
  const projects = join(lockstepHome, 'projects')
  return existsSync(projects) ? readdirSync(projects).map((name) => join(projects, name)) : []
}

function hasBlock(file: string): boolean {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/)
  return lines.includes(START_MARKER) && lines.indexOf(END_MARKER) > lines.indexOf(START_MARKER)
}

test('init writes both blocks, .lockstep/ and the store; a second run changes nothing', async (t) => {
  const s = scratch(t)
  writeFileSync(join(s.project, 'CLAUDE.md'), '# House rules\n\nUse tabs.\n')
  const first = await cliJson(s, ['init'])
  assert.equal(first.code, 0, first.stderr)
  const actions = Object.fromEntries(first.body.files.map((file: any) => [file.file, file.action]))
  assert.deepEqual(actions, {
    'CLAUDE.md': 'updated',
    'AGENTS.md': 'created',
    'GEMINI.md': 'created',
    '.lockstep/.gitignore': 'created',
    '.lockstep/state.json': 'created',
    // the guards (outside git there is no pre-commit hook to install)
    '.claude/settings.json': 'created',
    '.codex/hooks.json': 'created',
    '.cursor/hooks.json': 'created',
    '.gemini/settings.json': 'created',
  })
  assert.equal(first.body.store.action, 'created')
  for (const file of FILES) assert.ok(hasBlock(join(s.project, file)), file)
  assert.ok(readFileSync(join(s.project, 'CLAUDE.md'), 'utf8').startsWith('# House rules\n\nUse tabs.\n'), 'existing content kept')
  const ignore = readFileSync(join(s.project, '.lockstep', '.gitignore'), 'utf8').split('\n')
  for (const line of ['worktrees/', '*.lock', '*.tmp']) assert.ok(ignore.includes(line), line)
  const state = readJson(join(s.project, '.lockstep', 'state.json'))
  assert.equal(state.schemaVersion, 1)
  assert.deepEqual(state.tasks, [])
  const stores = storeDirs(s.lockstepHome)
  assert.equal(stores.length, 1)
  assert.equal(readJson(join(stores[0]!, 'project.json')).root, s.project)
  const bytes = FILES.map((file) => readFileSync(join(s.project, file)))
  const second = await cliJson(s, ['init'])
  assert.equal(second.code, 0)
  assert.ok(second.body.files.every((file: any) => file.action === 'unchanged'))
  assert.equal(second.body.store.action, 'unchanged')
  assert.deepEqual(
    FILES.map((file) => readFileSync(join(s.project, file))),
    bytes,
  )
})

test('disable removes the blocks and keeps the rest; enable puts them back', async (t) => {
  const s = scratch(t)
  writeFileSync(join(s.project, 'AGENTS.md'), '# Agents\n\nBe brief.\n')
  assert.equal((await cli(s, ['init', '--dir', s.project], { cwd: s.home })).code, 0)
  const disabled = await cliJson(s, ['disable'])
  assert.equal(disabled.code, 0)
  assert.deepEqual(
    disabled.body.files.map((file: any) => file.action),
    ['removed', 'removed', 'removed', 'removed', 'removed', 'removed', 'removed'],
  )
  assert.equal(existsSync(join(s.project, '.claude', 'settings.json')), false, 'a settings file init created is removed with its hook')
  assert.equal(readFileSync(join(s.project, 'AGENTS.md'), 'utf8'), '# Agents\n\nBe brief.\n')
  assert.equal(readFileSync(join(s.project, 'CLAUDE.md'), 'utf8'), '', 'an emptied file is kept, not deleted')
  assert.ok(existsSync(join(s.project, '.lockstep', 'state.json')), '.lockstep/ stays')
  assert.equal(storeDirs(s.lockstepHome).length, 1, 'the store stays')
  const again = await cliJson(s, ['disable'])
  assert.ok(again.body.files.every((file: any) => file.action === 'not present'))
  const enabled = await cliJson(s, ['enable'])
  assert.equal(enabled.code, 0)
  for (const file of FILES) assert.ok(hasBlock(join(s.project, file)), file)
  assert.ok(readFileSync(join(s.project, 'AGENTS.md'), 'utf8').startsWith('# Agents\n\nBe brief.\n'))
})

test('malformed markers stop init with exit 1 and nothing written; --force repairs them', async (t) => {
  const s = scratch(t)
  copyFileSync(join(ROOT, 'fixtures', 'instructions', 'markers-start-only.md'), join(s.project, 'CLAUDE.md'))
  const before = readFileSync(join(s.project, 'CLAUDE.md'))
  const result = await cli(s, ['init'])
  assert.equal(result.code, 1)
  assert.match(result.stderr, /^error \[CONFLICT\]: /m)
  assert.deepEqual(readFileSync(join(s.project, 'CLAUDE.md')), before)
  assert.equal(existsSync(join(s.project, 'AGENTS.md')), false)
  assert.equal(existsSync(join(s.project, '.lockstep')), false)
  assert.equal((await cli(s, ['init', '--force'])).code, 0)
  assert.ok(hasBlock(join(s.project, 'CLAUDE.md')))
})

test('init on a missing folder exits 1 and creates nothing', async (t) => {
  const s = scratch(t)
  const result = await cli(s, ['init', '--dir', join(s.project, 'missing')])
  assert.equal(result.code, 1)
  assert.match(result.stderr, /^error \[NOT_FOUND\]: /m)
  assert.equal(storeDirs(s.lockstepHome).length, 0)
})

test('status --json reports clients, the project and what to do next', async (t) => {
  const s = scratch(t)
  const bare = await cliJson(s, ['status'])
  assert.equal(bare.code, 0)
  assert.deepEqual(Object.keys(bare.body).slice(0, 7), ['version', 'home', 'dataDir', 'clients', 'project', 'dashboard', 'problems'])
  assert.ok(bare.body.clients.every((row: any) => row.state === 'not installed'))
  assert.equal(bare.body.project.storeExists, false)
  assert.ok(bare.body.next.length >= 2, 'install and init are suggested')
  assert.equal(storeDirs(s.lockstepHome).length, 0, 'status creates no store')
  await cli(s, ['install'])
  await cli(s, ['init'])
  const ready = await cliJson(s, ['status'])
  const user = ready.body.clients.filter((row: any) => row.scope === 'user' && row.state !== 'not installed')
  assert.deepEqual(
    user.map((row: any) => [row.client, row.name, row.state]),
    [
      ['claude', 'lockstep-mcp', 'ok'],
      ['codex', 'lockstep-mcp', 'ok'],
    ],
  )
  assert.deepEqual(ready.body.project.instructions, { 'CLAUDE.md': true, 'AGENTS.md': true, 'GEMINI.md': true })
  assert.equal(ready.body.project.snapshot, true)
  assert.equal(ready.body.project.tasks.total, 0)
  assert.deepEqual(ready.body.problems, [])
  assert.deepEqual(ready.body.next, [])
  const text = await cli(s, ['status'])
  assert.equal(text.code, 0)
  assert.doesNotMatch(text.stdout, /\u001b\[/, 'no colour when stdout is not a terminal')
  assert.ok(text.stdout.includes('~/'), 'paths under the home folder are printed with ~')
})

test('status flags a broken entry, a missing script, a corrupt document and a store whose root is gone', async (t) => {
  const s = scratch(t)
  await cli(s, ['init'])
  const missing = join(s.home, 'old', 'lockstep-mcp', 'dist', 'cli.js')
  const servers = {
    'lockstep-mcp': { type: 'stdio', command: process.execPath, args: ['server'], env: {} },
    lockstep: { type: 'stdio', command: process.execPath, args: [missing, 'server'], env: {} },
  }
  writeFileSync(claudeUserFile(s), JSON.stringify({ mcpServers: servers }))
  const store = storeDirs(s.lockstepHome)[0]!
  writeFileSync(join(store, 'notes.json'), '{"schemaVersion": 1, "kind": "notes", ')
  const orphan = join(s.lockstepHome, 'projects', 'moved-0badc0de')
  mkdirSync(orphan)
  writeFileSync(join(orphan, 'project.json'), JSON.stringify({ root: join(s.home, 'no-such-repo') }))
  const result = await cliJson(s, ['status'])
  assert.equal(result.code, 0)
  const claude = result.body.clients.filter((row: any) => row.client === 'claude' && row.scope === 'user')
  assert.deepEqual(
    claude.map((row: any) => [row.name, row.state, row.legacy]),
    [
      ['lockstep-mcp', 'broken', false],
      ['lockstep', 'broken', true],
    ],
  )
  assert.ok(claude.every((row: any) => typeof row.fix === 'string'))
  const kinds = result.body.problems.map((problem: any) => problem.kind)
  assert.ok(kinds.includes('corrupt_document'), kinds.join())
  assert.ok(kinds.includes('root_missing'), kinds.join())
  const corrupt = result.body.problems.find((problem: any) => problem.kind === 'corrupt_document')
  assert.ok(corrupt.file.endsWith('notes.json'))
  assert.ok(corrupt.backup && existsSync(corrupt.backup), 'the backup exists')
  assert.equal(result.body.project.notes, null)
  assert.equal(result.body.project.tasks.total, 0, 'other documents still read')
  const text = await cli(s, ['status'])
  assert.equal(text.code, 0)
  assert.match(text.stdout, /notes\.json/)
})

const canFakeTerminal = process.platform === 'linux' && existsSync('/usr/bin/script') ? false : 'needs util-linux script(1) to run under a terminal'

test('status colours its output on a terminal, and never with NO_COLOR', { skip: canFakeTerminal }, async (t) => {
  const s = scratch(t)
  const underTerminal = (env: NodeJS.ProcessEnv) =>
    new Promise<string>((resolve, reject) => {
      const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} status`
      const child = spawn('/usr/bin/script', ['-qec', command, '/dev/null'], { cwd: s.project, env: { ...s.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      child.stdout.on('data', (chunk) => (stdout += chunk))
      child.on('error', reject)
      child.on('close', () => resolve(stdout))
    })
  assert.match(await underTerminal({}), /\u001b\[\d+m/)
  assert.doesNotMatch(await underTerminal({ NO_COLOR: '1' }), /\u001b\[/)
})
