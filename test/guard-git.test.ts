import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { createInterface } from 'node:readline'
import { CLI, startAgent } from './support/mcp-helpers.js'
import { GIT_ENV, git, makeRepo } from './support/git-helpers.js'
import { ROOT, tempDir } from './support/helpers.js'

function setUp(t: Parameters<typeof tempDir>[0]) {
  const repo = makeRepo(t, { 'README.md': '# demo\n', 'src/a.ts': 'export const a = 1\n', 'src/b.ts': 'export const b = 1\n' })
  const home = tempDir(t)
  const env = { ...GIT_ENV, LOCKSTEP_HOME: join(home, '.lockstep-mcp') }
  const lockstep = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: repo, env, encoding: 'utf8' })
  const commit = (message: string, extra: string[] = [], more: NodeJS.ProcessEnv = {}) =>
    spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', message, ...extra], { cwd: repo, env: { ...env, ...more }, encoding: 'utf8' })
  return { repo, home, env, lockstep, commit }
}

/** The lock holder runs under a client process of its own, as a real agent does: this test process is not its client. */
async function startHolder(t: Parameters<typeof tempDir>[0], s: ReturnType<typeof setUp>, name: string, path: string) {
  const child = spawn(process.execPath, [join(ROOT, 'test', 'support', 'lock-holder.mjs'), name, path], { cwd: s.repo, env: s.env, stdio: ['pipe', 'pipe', 'inherit'] })
  t.after(() => void child.kill())
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  assert.match(String((await lines.next()).value), /^ready/)
  return {
    async release(lockPath: string) {
      child.stdin!.write(`release ${lockPath}\n`)
      assert.equal((await lines.next()).value, 'released')
    },
  }
}

test('a commit of a file another agent holds is refused naming the holder, passes with --no-verify and after the release', async (t) => {
  const s = setUp(t)
  // a pre-commit hook that was there first keeps running, before the guard
  const hooks = join(s.repo, '.git', 'hooks')
  writeFileSync(join(hooks, 'pre-commit'), '#!/bin/sh\necho ran >> "$(git rev-parse --git-dir)/earlier-hook-runs"\n')
  chmodSync(join(hooks, 'pre-commit'), 0o755)
  assert.equal(s.lockstep('init').status, 0)
  const holder = await startHolder(t, s, 'impl-1', './src//a.ts')
  const planner = await startAgent(t, { home: s.home, cwd: s.repo })
  await planner.ok('coordination_init', { role: 'planner' })

  writeFileSync(join(s.repo, 'src', 'a.ts'), 'export const a = 2\n')
  git(s.repo, 'add', 'src/a.ts')
  const refused = s.commit('edit a')
  assert.equal(refused.status, 1, refused.stderr)
  assert.match(refused.stderr, /impl-1/)
  assert.equal(git(s.repo, 'rev-list', '--count', 'HEAD'), '1', 'nothing was committed')
  assert.equal(
    readFileSync(join(s.repo, '.git', 'earlier-hook-runs'), 'utf8')
      .trim()
      .split('\n').length,
    1,
    'the earlier hook ran',
  )

  const events = await planner.ok('events_wait', { since: 0, mine: true, timeoutMs: 0 })
  const refusal = events.events.find((event: { type: string }) => event.type === 'guard.refused')
  // the committing process is the planner's client (its server's parent): the guard names the planner as the editor
  assert.deepEqual([refusal.data.path, refusal.data.holder, refusal.data.editor, refusal.data.client], ['src/a.ts', 'impl-1', 'planner', 'git'])

  const holderCommit = s.commit('edit a as impl-1', [], { LOCKSTEP_AGENT_NAME: 'impl-1' })
  assert.equal(holderCommit.status, 0, `the holder's own commit goes through: ${holderCommit.stderr}`)

  writeFileSync(join(s.repo, 'src', 'a.ts'), 'export const a = 3\n')
  git(s.repo, 'add', 'src/a.ts')
  assert.equal(s.commit('again').status, 1)
  assert.equal(s.commit('bypass', ['--no-verify']).status, 0, '--no-verify skips the hooks, as git users expect')

  writeFileSync(join(s.repo, 'src', 'b.ts'), 'export const b = 2\n')
  git(s.repo, 'add', 'src/b.ts')
  assert.equal(s.commit('unlocked file').status, 0, 'a file nobody holds is committed')

  writeFileSync(join(s.repo, 'src', 'a.ts'), 'export const a = 4\n')
  git(s.repo, 'add', 'src/a.ts')
  await holder.release('src/a.ts')
  const after = s.commit('after the release')
  assert.equal(after.status, 0, after.stderr)
  assert.equal(git(s.repo, 'rev-list', '--count', 'HEAD'), '5')
})

test('init honours core.hooksPath, disable restores the earlier hook and enable puts ours back', (t) => {
  const s = setUp(t)
  git(s.repo, 'config', 'core.hooksPath', '.githooks')
  assert.equal(s.lockstep('init', '--no-guards').status, 0)
  assert.equal(existsSync(join(s.repo, '.githooks', 'pre-commit')), false, '--no-guards installs nothing')
  assert.equal(existsSync(join(s.repo, '.claude', 'settings.json')), false)
  mkdirSync(join(s.repo, '.githooks'))
  writeFileSync(join(s.repo, '.githooks', 'pre-commit'), '#!/bin/sh\nexit 0\n')
  assert.equal(s.lockstep('init').status, 0)
  const ours = readFileSync(join(s.repo, '.githooks', 'pre-commit'), 'utf8')
  assert.match(ours, /lockstep-mcp guard/)
  assert.equal(readFileSync(join(s.repo, '.githooks', 'pre-commit.lockstep-chained'), 'utf8'), '#!/bin/sh\nexit 0\n')
  const status = JSON.parse(s.lockstep('status', '--json').stdout)
  assert.deepEqual(
    status.project.guards.filter((guard: { installed: boolean }) => !guard.installed),
    [],
    'status shows every guard in place',
  )
  assert.equal(s.lockstep('disable').status, 0)
  assert.equal(readFileSync(join(s.repo, '.githooks', 'pre-commit'), 'utf8'), '#!/bin/sh\nexit 0\n', 'the earlier hook is back')
  assert.equal(existsSync(join(s.repo, '.githooks', 'pre-commit.lockstep-chained')), false)
  assert.equal(s.lockstep('enable').status, 0)
  assert.equal(readFileSync(join(s.repo, '.githooks', 'pre-commit'), 'utf8'), ours)
})
