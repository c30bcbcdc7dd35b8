import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { coordinationInit } from '../lib/agents/agents.js'
import { createTask } from '../lib/tasks/tasks.js'
import { listTasks } from '../lib/tasks/task-queries.js'
import { acquireLock, listLocks } from '../lib/locks/locks.js'
import { projectFolderName, projectIdentity } from '../storage/projects.js'
import { peerCtx, tempDir, testCtx } from './support/helpers.js'

/** Two project folders, alpha and beta, and a context working in alpha. */
function twoProjects(t: Parameters<typeof tempDir>[0]) {
  const base = tempDir(t)
  const a = join(base, 'alpha')
  const b = join(base, 'beta')
  mkdirSync(a)
  mkdirSync(b)
  return { base, a, b, ctx: testCtx(t, { dataDir: join(base, 'data'), cwd: a }) }
}

test('projects are isolated: tasks and locks of one never show in another', async (t) => {
  const { b, ctx } = twoProjects(t)
  await createTask(ctx, { title: 'in alpha', complexity: 'simple' })
  await createTask(ctx, { title: 'in beta', complexity: 'simple', projectRoot: b })
  await acquireLock(ctx, { path: 'src/x.ts', owner: 'someone' })
  assert.deepEqual(
    (await listTasks(ctx, {})).tasks.map((task) => task.title),
    ['in alpha'],
  )
  assert.deepEqual(
    (await listTasks(ctx, { projectRoot: b })).tasks.map((task) => task.title),
    ['in beta'],
  )
  assert.equal((await listLocks(ctx, { projectRoot: b })).length, 0)
  assert.equal((await acquireLock(ctx, { path: 'src/x.ts', owner: 'other', projectRoot: b })).owner, 'other', 'same path, other project: no conflict')
})

test('a registered session is bound to its project; another projectRoot is FORBIDDEN', async (t) => {
  const { base, b, ctx } = twoProjects(t)
  await coordinationInit(ctx, { role: 'implementer', name: 'impl-1' })
  await assert.rejects(listTasks(ctx, { projectRoot: b }), (error: { code: string }) => error.code === 'FORBIDDEN')
  await assert.rejects(listTasks(ctx, { projectRoot: join(base, 'missing') }), (error: { code: string }) => error.code === 'NOT_FOUND')
  const other = peerCtx(ctx)
  assert.equal((await listTasks(other, { projectRoot: b })).total, 0)
})

test('a linked worktree and subfolders belong to the project of the main working tree', async (t) => {
  const base = tempDir(t)
  const repo = join(base, 'My Repo!')
  mkdirSync(join(repo, 'src'), { recursive: true })
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: base } })
  git('init', '-q', '-b', 'main')
  writeFileSync(join(repo, 'a.txt'), 'a')
  git('add', '.')
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'init')
  git('worktree', 'add', '-q', join(base, 'wt'), '-b', 'lockstep/x')
  assert.equal(projectIdentity(join(repo, 'src')), repo)
  assert.equal(projectIdentity(join(base, 'wt')), repo)
  assert.match(projectFolderName(repo), /^my-repo--[0-9a-f]{8}$/)
  const strict = testCtx(t, { dataDir: join(base, 'data'), cwd: join(base, 'wt'), settings: { mode: 'strict', roots: [join(base, 'elsewhere')] } })
  mkdirSync(join(base, 'elsewhere'))
  await assert.rejects(listTasks(strict, { projectRoot: repo }), (error: { code: string }) => error.code === 'FORBIDDEN')
  assert.equal((await listTasks(strict, {})).total, 0, 'the default project is the first root')
})
