import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { packageVersion } from '../lib/core/version.js'
import { cli, cliJson, scratch } from './support/cli-helpers.js'
import { ROOT } from './support/helpers.js'

test('--version, -v and version print the package version and exit 0', async (t) => {
  const s = scratch(t)
  for (const flag of ['--version', '-v', 'version']) {
    const result = await cli(s, [flag])
    assert.equal(result.code, 0)
    assert.equal(result.stdout.trim(), `lockstep-mcp v${packageVersion()}`)
    assert.equal(result.stderr, '')
  }
})

test('help lists every command on stdout and exits 0', async (t) => {
  const s = scratch(t)
  for (const args of [['help'], ['--help'], ['-h']]) {
    const result = await cli(s, args)
    assert.equal(result.code, 0)
    for (const command of ['install', 'uninstall', 'init', 'enable', 'disable', 'status', 'check', 'server', 'prompts']) {
      assert.match(result.stdout, new RegExp(`lockstep-mcp ${command}\\b`), command)
    }
  }
  const detailed = await cli(s, ['install', '--help'])
  assert.equal(detailed.code, 0)
  assert.match(detailed.stdout, /--scope/)
})

test('an unknown command or flag is a usage error: exit 2, error line and hint on stderr, nothing on stdout', async (t) => {
  const s = scratch(t)
  for (const args of [['frobnicate'], ['status', '--bogus'], ['install', '--scope'], ['--bogus'], ['status', 'extra']]) {
    const result = await cli(s, args)
    assert.equal(result.code, 2, args.join(' '))
    assert.equal(result.stdout, '', args.join(' '))
    assert.match(result.stderr, /^error \[INVALID_INPUT\]: .+\nhint: .*lockstep-mcp/, args.join(' '))
  }
})

test('did you mean names the closest command or flag first', async (t) => {
  const s = scratch(t)
  for (const [args, nearest] of [
    [['instal'], 'install'],
    [['chek'], 'check'],
    [['status', '--dri'], '--dir'],
    [['install', '--clint', 'x'], '--client'],
    [['dashbaord'], 'dashboard'],
  ] as const) {
    const result = await cli(s, [...args])
    assert.equal(result.code, 2)
    const suggested = /did you mean ([^ ,?]+)/.exec(result.stderr)?.[1]
    assert.equal(suggested, nearest, args.join(' '))
  }
})

test('no usage line shows a #0 placeholder', async (t) => {
  const s = scratch(t)
  const commands = ['install', 'uninstall', 'init', 'status', 'check', 'dashboard', 'server', 'tmux', 'macos', 'demo', 'prompts']
  for (const args of [['help'], ...commands.map((command) => [command, '--help'])]) {
    const result = await cli(s, args)
    assert.equal(result.code, 0, args.join(' '))
    assert.doesNotMatch(result.stdout, /#\d/, args.join(' '))
  }
})

test('a bad flag value exits 2 with the error code and usage on stderr, and writes nothing', async (t) => {
  const s = scratch(t)
  for (const args of [
    ['install', '--scope', 'sideways'],
    ['install', '--mode', 'loose'],
    ['install', '--lease-ttl', '5'],
    ['install', '--name', 'has space'],
    ['uninstall', '--scope=everywhere'],
    ['prompts', '--role', 'boss'],
    ['prompts', '--name', '../etc'],
  ]) {
    const result = await cli(s, args)
    assert.equal(result.code, 2, args.join(' '))
    assert.equal(result.stdout, '', args.join(' '))
    assert.match(result.stderr, /^error \[INVALID_INPUT\]: /m, args.join(' '))
    assert.match(result.stderr, new RegExp(`lockstep-mcp ${args[0]} --help`), `a one-line hint names the command's help: ${args.join(' ')}`)
    assert.equal(result.stderr.trim().split('\n').length, 2, `no whole usage: ${args.join(' ')}`)
  }
  assert.equal(existsSync(join(s.home, '.claude.json')), false)
  assert.equal(existsSync(s.codexHome), false)
})

const CHECK_CASES: [fixture: string, code: number][] = [
  ['complete', 0],
  ['in-review', 1],
  ['not-done', 1],
  ['blocking-discussion', 1],
  ['invalid-json', 3],
  ['invalid-schema', 3],
  ['newer-schema', 3],
]

for (const [fixture, code] of CHECK_CASES) {
  test(`check --dir fixtures/check/${fixture} exits ${code}`, async (t) => {
    const s = scratch(t)
    const result = await cli(s, ['check', '--dir', `fixtures/check/${fixture}`], { cwd: ROOT })
    assert.equal(result.code, code)
    if (code === 3) assert.equal(result.stdout, '')
    else assert.notEqual(result.stdout, '')
    const json = await cliJson(s, ['check', '--dir', join(ROOT, 'fixtures', 'check', fixture)])
    assert.equal(json.code, code)
    assert.equal(json.body.ok, code === 0)
    assert.ok(Array.isArray(json.body.failures))
  })
}

test('check exits 3 for a project without .lockstep/state.json and for a missing folder', async (t) => {
  const s = scratch(t)
  assert.equal((await cli(s, ['check'])).code, 3)
  assert.equal((await cli(s, ['check', '--dir', join(s.project, 'nope')])).code, 3)
})

test('check finds the snapshot of the repository from a subfolder', async (t) => {
  const s = scratch(t)
  mkdirSync(join(s.project, '.git'))
  assert.equal((await cli(s, ['init'])).code, 0)
  const sub = join(s.project, 'src')
  mkdirSync(sub)
  // a fresh project is in planning, so the check runs and fails (1), rather than finding no snapshot (3)
  assert.equal((await cli(s, ['check', '--dir', sub])).code, 1)
})

test('prompts prints both prompts under headers, or one role, and --json gives the object', async (t) => {
  const s = scratch(t)
  const both = await cli(s, ['prompts'])
  assert.equal(both.code, 0)
  assert.match(both.stdout, /^== planner ==$/m)
  assert.match(both.stdout, /^== implementer ==$/m)
  const planner = await cliJson(s, ['prompts', '--role', 'planner'])
  assert.deepEqual(Object.keys(planner.body), ['planner'])
  for (const point of ['coordination_init', 'task_create', 'worktree_merge', 'task_approve', 'task_request_changes', 'project_status_set', 'simple', 'critical']) {
    assert.ok(planner.body.planner.includes(point), point)
  }
  const named = await cliJson(s, ['prompts', '--role', 'implementer', '--name', 'impl-7'])
  assert.deepEqual(Object.keys(named.body), ['implementer'])
  assert.ok(named.body.implementer.includes('coordination_init({role: "implementer", name: "impl-7"})'))
  for (const point of ['task_claim_next', 'lock_acquire', 'discussion_start', 'task_submit_for_review', 'events_wait', '.lockstep/']) {
    assert.ok(named.body.implementer.includes(point), point)
  }
  const all = await cliJson(s, ['prompts'])
  assert.deepEqual(Object.keys(all.body).sort(), ['implementer', 'planner'])
})
