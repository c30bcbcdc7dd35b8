import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { appleScriptString, shellJoin, shellQuote, withEnv } from '../lib/core/quote.js'
import { coordinationInit } from '../lib/agents/agents.js'
import { launchImplementer } from '../lib/launch/launch.js'
import { listImplementers, resetImplementers } from '../lib/agents/implementers.js'
import { listNotes } from '../lib/messages/notes.js'
import { sweepProject } from '../lib/agents/sessions.js'
import { gitTry, makeRepo, worktreePath } from './support/git-helpers.js'
import { peerCtx, tempDir, testCtx } from './support/helpers.js'
import { privateTmux, readJson, standInCommand, stopDashboardAfter, tmux, waitFor } from './support/launch-helpers.js'
import { startAgent } from './support/mcp-helpers.js'

privateTmux()

const AWKWARD = ['plain', '', 'two words', "it's", 'say "hi"', '$HOME and ${PATH}', '`date`', 'back\\slash', 'line\nbreak', 'tab\there', "'", "''", '!bang', '*.ts', '~', '-n', 'ünï ✓', 'a;b|c&d>e']

test('shellQuote and withEnv give a POSIX shell back every string unchanged', () => {
  for (const word of AWKWARD) {
    assert.equal(execFileSync('sh', ['-c', `printf %s ${shellQuote(word)}`], { encoding: 'utf8' }), word, JSON.stringify(word))
    assert.equal(execFileSync('sh', ['-c', withEnv({ LOCKSTEP_X: word }, 'printenv LOCKSTEP_X')], { encoding: 'utf8' }), `${word}\n`, JSON.stringify(word))
  }
  const argv = execFileSync('sh', ['-c', `${shellJoin([process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))'])} ${shellJoin(AWKWARD)}`], { encoding: 'utf8' })
  assert.deepEqual(JSON.parse(argv), AWKWARD)
})

test('appleScriptString escapes backslashes, quotes and control characters', () => {
  const table: [string, string][] = [
    ['plain', '"plain"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['back\\slash', '"back\\\\slash"'],
    ["cd '/a b' && echo $HOME", `"cd '/a b' && echo $HOME"`],
    ['line\nbreak\r\tend', '"line\\nbreak\\r\\tend"'],
    ['\\"', '"\\\\\\""'],
  ]
  for (const [input, expected] of table) assert.equal(appleScriptString(input), expected)
})

test('launch_implementer manual registers the implementer and returns a command that starts it in place', async (t) => {
  const repo = makeRepo(t)
  const out = join(tempDir(t), "rec 'q' $x")
  const ctx = testCtx(t, { cwd: repo, settings: { claudeCmd: standInCommand(out, '--record') } })
  const result = await launchImplementer(ctx, { type: 'claude', launcher: 'manual' })
  stopDashboardAfter(t, ctx.settings.dataDir)
  assert.equal(result.launcher, 'manual')
  assert.equal(result.implementer.name, 'impl-1')
  assert.equal(result.implementer.liveness, 'starting')
  execFileSync('sh', ['-c', result.command], { cwd: tempDir(t) })
  const started = readJson(`${out}.start.json`)
  assert.equal(started.cwd, repo)
  assert.equal(started.env.LOCKSTEP_AGENT_NAME, 'impl-1')
  assert.equal(started.env.LOCKSTEP_HOME, ctx.settings.home)
  assert.equal(started.argv.length, 1, 'the prompt is one argument')
  assert.ok(started.argv[0].includes('coordination_init'))
  const listed = await listImplementers(ctx, {})
  assert.deepEqual(
    listed.implementers.map((agent) => [agent.name, agent.status, agent.launcher]),
    [['impl-1', 'active', 'manual']],
  )
  assert.equal((await launchImplementer(ctx, { type: 'codex', launcher: 'manual' })).implementer.name, 'impl-2')
  const conflict = await launchImplementer(ctx, { type: 'codex', launcher: 'manual', name: 'impl-1' }).catch((error) => error)
  assert.equal(conflict.code, 'CONFLICT')
  const implementer = peerCtx(ctx)
  await coordinationInit(implementer, { role: 'implementer', name: 'impl-2' })
  assert.equal((await launchImplementer(implementer, { type: 'codex', launcher: 'manual' }).catch((error) => error)).code, 'FORBIDDEN')
})

test('launch_implementer in tmux: the agent runs in its window and worktree, registers under its name, and loses its claims once its pane is killed', async (t) => {
  const repo = makeRepo(t, { 'README.md': '# demo\n', 'docs/guide.md': 'guide\n' })
  const home = tempDir(t)
  const out = join(tempDir(t, 'lockstep out $x '), "agent 'one'")
  const planner = await startAgent(t, {
    home,
    cwd: repo,
    args: ['--grace', '5', '--claude-cmd', standInCommand(out)],
    env: { TMUX_TMPDIR: process.env.TMUX_TMPDIR! },
  })
  const dataDir = join(home, '.lockstep-mcp')
  await planner.ok('coordination_init', { role: 'planner' })
  const task = await planner.ok('task_create', { title: 'Write the guide', complexity: 'medium' })
  const launched = await planner.ok('launch_implementer', { type: 'claude', isolation: 'worktree', launcher: 'tmux' })
  stopDashboardAfter(t, dataDir)
  const path = worktreePath(repo, 'impl-1')
  assert.equal(launched.worktreePath, path)
  assert.equal(launched.attach, 'tmux attach -t lockstep')
  const windows = tmux('list-windows', '-t', '=lockstep', '-F', '#{window_name} #{window_id} #{pane_id}')
  assert.ok(windows.split('\n').includes(`impl-1 ${launched.implementer.tmux.windowId} ${launched.implementer.tmux.paneId}`), windows)

  const ready = await waitFor('the stand-in agent to claim and lock', () => {
    if (existsSync(`${out}.error.txt`)) assert.fail(readFileSync(`${out}.error.txt`, 'utf8'))
    return readJson(`${out}.ready.json`)
  })
  const started = readJson(`${out}.start.json`)
  assert.equal(started.cwd, path)
  assert.equal(started.env.LOCKSTEP_AGENT_NAME, 'impl-1')
  assert.equal(started.env.LOCKSTEP_TMUX_SESSION, 'lockstep')
  assert.equal(started.argv.length, 1)
  assert.equal(ready.init.agent.name, 'impl-1')
  assert.equal(ready.claim.task.id, task.id)
  const listed = await planner.ok('implementer_list')
  const agent = listed.implementers.find((item: { name: string }) => item.name === 'impl-1')
  assert.equal(agent.liveness, 'alive')
  assert.equal(agent.worktreePath, path)
  assert.equal(agent.branchName, 'lockstep/impl-1')

  tmux('kill-pane', '-t', launched.implementer.tmux.paneId)
  const sweeper = testCtx(t, { dataDir, cwd: repo, settings: { graceSec: 5 } })
  await waitFor(
    'the claim to be revoked',
    async () => {
      await sweepProject(sweeper, repo)
      const tasks = await planner.ok('task_list')
      return tasks.tasks[0].status === 'todo' ? true : undefined
    },
    60_000,
  )
  const [returned] = (await planner.ok('task_list')).tasks
  assert.equal(returned.owner, undefined)
  assert.deepEqual(await planner.ok('lock_list'), [])
  const [lock] = await planner.ok('lock_list', { status: 'resolved', owner: 'impl-1' })
  assert.equal(lock.releaseReason, 'holder_gone')
  const notes = await listNotes(sweeper, { author: 'system' })
  assert.ok(notes.some((note) => note.text.startsWith('[SYSTEM]') && note.text.includes(task.id)))
  const after = (await planner.ok('implementer_list')).implementers.find((item: { name: string }) => item.name === 'impl-1')
  assert.deepEqual([after.status, after.liveness], ['stopped', 'gone'])
})

test('a launched agent that never connects is gone once its pane dies; reset --kill closes only windows this session launched', async (t) => {
  const repo = makeRepo(t)
  const out = join(tempDir(t), 'idle')
  const ctx = testCtx(t, { cwd: repo, settings: { claudeCmd: standInCommand(out, '--idle'), graceSec: 1, tmuxSession: 'lockstep-idle' } })
  const first = await launchImplementer(ctx, { type: 'claude', launcher: 'tmux' })
  stopDashboardAfter(t, ctx.settings.dataDir)
  await waitFor('the idle agent to start', () => readJson(`${out}.start.json`))
  assert.equal((await listImplementers(ctx, {})).implementers[0].liveness, 'starting')
  tmux('kill-pane', '-t', first.implementer.tmux!.paneId)
  await waitFor('the agent to be stopped', async () => {
    await sweepProject(ctx, repo)
    const [agent] = (await listImplementers(ctx, {})).implementers
    return agent.status === 'stopped' ? agent : undefined
  })
  const [gone] = (await listImplementers(ctx, {})).implementers
  assert.deepEqual([gone.liveness, gone.stoppedReason], ['gone', 'holder_gone'])

  const mine = await launchImplementer(ctx, { type: 'claude', launcher: 'tmux', name: 'mine' })
  const other = peerCtx(ctx)
  const theirs = await launchImplementer(other, { type: 'claude', launcher: 'tmux', name: 'theirs' })
  const panes = () => tmux('list-panes', '-a', '-F', '#{pane_id}').split('\n')
  assert.ok(panes().includes(mine.implementer.tmux!.paneId) && panes().includes(theirs.implementer.tmux!.paneId))
  const reset = await resetImplementers(ctx, { kill: true })
  assert.deepEqual(reset.killed, ['mine'])
  await waitFor('the pane to close', () => (panes().includes(mine.implementer.tmux!.paneId) ? undefined : true))
  assert.ok(panes().includes(theirs.implementer.tmux!.paneId), 'a window launched by another session stays')
})

test('a dead tmux pane is evidence on its own, even while the recorded process still runs', async (t) => {
  const repo = makeRepo(t)
  const out = join(tempDir(t), 'idle')
  const ctx = testCtx(t, { cwd: repo, settings: { claudeCmd: standInCommand(out, '--idle'), graceSec: 1, tmuxSession: 'lockstep-pane' } })
  const launched = await launchImplementer(ctx, { type: 'claude', launcher: 'tmux' })
  stopDashboardAfter(t, ctx.settings.dataDir)
  const project = ctx.store.project(repo)
  // a pid that outlives the pane: only the pane probe of the sweep can tell that the agent is gone
  await ctx.store.transact(project, ['agents'], (docs) => void (docs.agents.agents[0].pid = process.pid))
  await sweepProject(ctx, repo)
  assert.equal((await listImplementers(ctx, {})).implementers[0].liveness, 'starting')
  tmux('kill-pane', '-t', launched.implementer.tmux!.paneId)
  const seen = await waitFor('the dead pane to be recorded', async () => {
    await sweepProject(ctx, repo)
    const [agent] = (await ctx.store.read(project, 'agents')).agents
    return agent.goneSince ? agent : undefined
  })
  assert.deepEqual([seen.status, (await listImplementers(ctx, {})).implementers[0].liveness], ['active', 'gone'])
  await new Promise((resolve) => setTimeout(resolve, 1100))
  await sweepProject(ctx, repo)
  assert.deepEqual(
    (await listImplementers(ctx, {})).implementers.map((agent) => [agent.status, agent.stoppedReason]),
    [['stopped', 'holder_gone']],
  )
})

test('without a working tmux, launch is UNAVAILABLE with the manual command, registers nothing and removes the worktree it made', async (t) => {
  const repo = makeRepo(t)
  const home = tempDir(t)
  const bin = join(tempDir(t), 'bin')
  mkdirSync(bin)
  // answers -V, refuses everything else: the window fails after the worktree was created
  writeFileSync(join(bin, 'tmux'), '#!/bin/sh\n[ "$1" = -V ] && { echo "tmux 3.3"; exit 0; }\necho "server exploded" >&2\nexit 1\n')
  chmodSync(join(bin, 'tmux'), 0o755)
  const broken = await startAgent(t, { home, cwd: repo, env: { PATH: bin } })
  const failed = await broken.call('launch_implementer', { type: 'claude', isolation: 'worktree', launcher: 'tmux' })
  assert.equal(failed.code, 'UNAVAILABLE')
  assert.equal(typeof failed.body.data.command, 'string')
  assert.ok(failed.body.data.command.includes('LOCKSTEP_AGENT_NAME=impl-1'))
  assert.equal(existsSync(worktreePath(repo, 'impl-1')), false)
  assert.notEqual(gitTry(repo, 'rev-parse', '--verify', 'refs/heads/lockstep/impl-1').status, 0)
  assert.equal((await broken.ok('implementer_list')).total, 0)

  const missing = await startAgent(t, { home, cwd: repo, env: { PATH: tempDir(t) } })
  for (const launcher of ['tmux', 'auto']) {
    const reply = await missing.call('launch_implementer', { type: 'codex', isolation: 'worktree', launcher })
    assert.equal(reply.code, 'UNAVAILABLE')
    assert.equal(typeof reply.body.data.command, 'string')
  }
  assert.equal(existsSync(worktreePath(repo, 'impl-1')), false)
  assert.equal((await missing.ok('implementer_list')).total, 0)
})
