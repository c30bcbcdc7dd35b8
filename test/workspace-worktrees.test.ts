import assert from 'node:assert/strict'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { coordinationInit } from '../lib/agents/agents.js'
import { resetImplementers } from '../lib/agents/implementers.js'
import { launchImplementer } from '../lib/launch/launch.js'
import { listNotes } from '../lib/messages/notes.js'
import { endSession } from '../lib/agents/sessions.js'
import { cleanupWorktrees, getWorktreeStatus, listWorktrees, mergeWorktree } from '../lib/workspace/worktrees.js'
import { commitAll, git, gitTry, makeRepo, worktreePath, writeFiles } from './support/git-helpers.js'
import { peerCtx, tempDir, testCtx } from './support/helpers.js'
import { stopDashboardAfter } from './support/launch-helpers.js'
import { startAgent } from './support/mcp-helpers.js'

const fails = (promise: Promise<unknown>) =>
  promise.then(
    () => assert.fail('expected a rejection'),
    (error) => error as { code: string; data: any },
  )
const branchExists = (repo: string, branch: string) => gitTry(repo, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`).status === 0

test('worktree tools: launch makes a worktree, status sees a commit, the planner merges it, cleanup removes only what is safe', async (t) => {
  const repo = makeRepo(t)
  const planner = testCtx(t, { cwd: repo })
  await coordinationInit(planner, { role: 'planner' })
  const launched = await launchImplementer(planner, { type: 'codex', isolation: 'worktree', launcher: 'manual' })
  stopDashboardAfter(t, planner.settings.dataDir)
  const path = worktreePath(repo, 'impl-1')
  assert.deepEqual([launched.worktreePath, launched.branchName], [path, 'lockstep/impl-1'])
  assert.equal(git(path, 'rev-parse', '--abbrev-ref', 'HEAD'), 'lockstep/impl-1')

  writeFiles(path, { 'src/feature.ts': 'export const feature = true\n' })
  const dirty = await getWorktreeStatus(planner, { implementerId: 'impl-1' })
  assert.equal(dirty.worktreeStatus?.hasUncommittedChanges, true)
  assert.deepEqual(dirty.worktreeStatus?.untrackedFiles, ['src/feature.ts'])
  assert.equal((await fails(mergeWorktree(planner, { implementerId: 'impl-1' }))).code, 'CONFLICT')

  const tip = commitAll(path, 'add feature')
  const status = await getWorktreeStatus(planner, { implementerId: launched.implementer.id })
  assert.equal(status.worktreeStatus?.ahead, 1)
  assert.equal(status.worktreeStatus?.baseBranch, 'main')
  assert.equal(status.commits?.[0].oid, tip)
  assert.deepEqual(status.diff, [{ path: 'src/feature.ts', change: 'added' }])
  assert.equal((await fails(getWorktreeStatus(planner, { implementerId: 'nobody' }))).code, 'NOT_FOUND')

  const implementer = peerCtx(planner)
  await coordinationInit(implementer, { role: 'implementer', name: 'impl-1' })
  assert.equal((await fails(mergeWorktree(implementer, { implementerId: 'impl-1' }))).code, 'FORBIDDEN')
  const merged = await mergeWorktree(planner, { implementerId: 'impl-1' })
  assert.ok(merged.merged)
  assert.deepEqual([merged.targetBranch, merged.commit], ['main', tip])
  assert.equal(git(repo, 'rev-parse', 'main'), tip)
  assert.equal(readFileSync(join(repo, 'src/feature.ts'), 'utf8'), 'export const feature = true\n')
  assert.equal(git(repo, 'status', '--porcelain'), '')
  assert.ok((await listNotes(planner, { author: 'system' })).some((note) => note.text.startsWith('[SYSTEM] Merged lockstep/impl-1 (impl-1) into main: 1 commit(s).')))
  assert.equal((await mergeWorktree(planner, { implementerId: 'impl-1' })).merged, false)

  const listed = await listWorktrees(planner, {})
  assert.equal(listed.count, 1)
  assert.deepEqual(
    listed.worktrees.map((entry) => [entry.name, entry.path, entry.branchName, entry.exists, entry.implementer?.name, entry.implementer?.status]),
    [['impl-1', path, 'lockstep/impl-1', true, 'impl-1', 'active']],
  )

  const alive = await cleanupWorktrees(planner, { force: true })
  assert.deepEqual([alive.cleanedCount, alive.skipped.map((item) => item.name)], [0, ['impl-1']])
  assert.ok(existsSync(path), 'an alive implementer keeps its worktree even with force')

  await launchImplementer(planner, { type: 'codex', isolation: 'worktree', launcher: 'manual', name: 'impl-2' })
  writeFiles(worktreePath(repo, 'impl-2'), { 'src/other.ts': 'x\n' })
  commitAll(worktreePath(repo, 'impl-2'), 'unmerged work')
  writeFiles(path, { 'scratch.txt': 'not committed\n' })
  await resetImplementers(planner, {})
  // the implementer's session runs in this process: end it, as a server does on exit
  await endSession(implementer)

  const refused = await cleanupWorktrees(planner, {})
  assert.deepEqual([refused.cleanedCount, refused.skipped.map((item) => item.name).sort()], [0, ['impl-1', 'impl-2']])
  assert.ok(existsSync(path) && existsSync(worktreePath(repo, 'impl-2')))

  rmSync(join(path, 'scratch.txt'))
  const dry = await cleanupWorktrees(planner, { dryRun: true })
  assert.deepEqual(
    dry.cleaned.map((item) => [item.name, item.action]),
    [['impl-1', 'would_remove']],
  )
  assert.ok(existsSync(path), 'a dry run removes nothing')

  const cleaned = await cleanupWorktrees(planner, {})
  assert.deepEqual(
    cleaned.cleaned.map((item) => [item.name, item.action]),
    [['impl-1', 'removed']],
  )
  assert.deepEqual(
    cleaned.skipped.map((item) => item.name),
    ['impl-2'],
  )
  assert.equal(existsSync(path), false)
  assert.equal(branchExists(repo, 'lockstep/impl-1'), false)
  assert.ok(branchExists(repo, 'lockstep/impl-2'), 'unmerged work stays without force')
  assert.equal(gitTry(repo, 'worktree', 'prune', '-n').stdout, '')

  assert.equal((await fails(cleanupWorktrees(implementer, { force: true }))).code, 'FORBIDDEN')
  const forced = await cleanupWorktrees(planner, { force: true })
  assert.deepEqual(
    forced.cleaned.map((item) => item.name),
    ['impl-2'],
  )
  assert.equal(existsSync(worktreePath(repo, 'impl-2')), false)
  assert.equal(branchExists(repo, 'lockstep/impl-2'), false)
  assert.equal((await listWorktrees(planner, {})).count, 0)
})

test('worktree tools report a shared implementer, and a folder outside git has no worktrees', async (t) => {
  const planner = testCtx(t)
  const launched = await launchImplementer(planner, { type: 'claude', launcher: 'manual' })
  stopDashboardAfter(t, planner.settings.dataDir)
  const status = await getWorktreeStatus(planner, { implementerId: launched.implementer.name })
  assert.equal(status.isolation, 'shared')
  assert.equal((await fails(mergeWorktree(planner, { implementerId: launched.implementer.name }))).code, 'CONFLICT')
  assert.deepEqual(await listWorktrees(planner, {}).then((result) => [result.count, result.worktrees]), [0, []])
  assert.equal((await cleanupWorktrees(planner, {})).cleanedCount, 0)
  const refused = await fails(launchImplementer(planner, { type: 'claude', isolation: 'worktree', launcher: 'manual', name: 'impl-9' }))
  assert.equal(refused.code, 'CONFLICT')
  assert.equal(
    (await planner.store.read(planner.store.project(planner.caller.cwd), 'agents')).agents.some((agent) => agent.name === 'impl-9'),
    false,
  )
})

test('the worktree tools are served over MCP', async (t) => {
  const repo = makeRepo(t)
  const home = tempDir(t)
  const planner = await startAgent(t, { home, cwd: repo })
  await planner.ok('coordination_init', { role: 'planner' })
  const launched = await planner.ok('launch_implementer', { type: 'codex', isolation: 'worktree', launcher: 'manual' })
  stopDashboardAfter(t, join(home, '.lockstep-mcp'))
  assert.equal(launched.worktreePath, worktreePath(repo, 'impl-1'))
  const status = await planner.ok('worktree_status', { implementerId: 'impl-1' })
  assert.equal(status.worktreeStatus.ahead, 0)
  assert.equal((await planner.ok('worktree_list')).count, 1)
  assert.equal((await planner.ok('worktree_merge', { implementerId: 'impl-1' })).merged, false)
  assert.equal((await planner.call('worktree_merge', { implementerId: 'impl-1', targetBranch: 'no..such' })).code, 'INVALID_INPUT')
  assert.equal((await planner.ok('worktree_cleanup', { dryRun: true })).cleanedCount, 0)
})
