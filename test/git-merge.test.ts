import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createWorktree, mergeWorktree, worktreeStatus } from '../lib/git/index.js'
import { commitAll, emptyDir, git, GIT_ENV, gitTry, makeRepo, rejection, writeFiles } from './support/git-helpers.js'

type T = Parameters<typeof makeRepo>[0]

/** A repository with worktree impl-1 holding one commit that edits src/a.ts, adds src/b.ts, deletes old.txt and docs/only.md. */
async function repoWithWork(t: T) {
  const root = makeRepo(t, { 'README.md': '# demo\n', 'src/a.ts': 'line 1\nline 2\nline 3\nline 4\n', 'old.txt': 'old\n', 'docs/only.md': 'only\n' })
  const { path } = await createWorktree({ root, name: 'impl-1' })
  writeFiles(path, { 'src/a.ts': 'line 1\nline 2\nline 3\nline 4 (impl-1)\n', 'src/b.ts': 'export const b = 1\n' })
  git(path, 'rm', '-q', 'old.txt', 'docs/only.md')
  const tip = commitAll(path, 'impl-1 work')
  return { root, path, tip }
}

test('mergeWorktree fast-forwards the checked-out main branch and updates its files', async (t) => {
  const { root, tip } = await repoWithWork(t)
  const before = await worktreeStatus({ root, name: 'impl-1' })
  assert.equal(before.ahead, 1)

  const locked: string[] = []
  const withRepoLock = async <R>(fn: () => Promise<R>): Promise<R> => {
    locked.push('lock')
    return fn()
  }
  const result = await mergeWorktree({ root, name: 'impl-1', withRepoLock })
  assert.deepEqual(locked, ['lock'])
  assert.deepEqual(result, { merged: true, fastForward: true, commit: tip, branch: 'lockstep/impl-1', targetBranch: 'main', filesChanged: 4, commits: 1, workingTreeUpdated: true })
  assert.equal(git(root, 'rev-parse', 'main'), tip)
  assert.equal(git(root, 'symbolic-ref', 'HEAD'), 'refs/heads/main')
  assert.equal(git(root, 'log', '--format=%s'), 'impl-1 work\ninitial')
  assert.equal(git(root, 'status', '--porcelain'), '')
  assert.equal(readFileSync(join(root, 'src/b.ts'), 'utf8'), 'export const b = 1\n')
  assert.equal(readFileSync(join(root, 'src/a.ts'), 'utf8'), 'line 1\nline 2\nline 3\nline 4 (impl-1)\n')
  assert.equal(existsSync(join(root, 'old.txt')), false)
  assert.equal(existsSync(join(root, 'docs')), false)
  assert.equal(gitTry(root, 'fsck', '--no-progress').status, 0)

  assert.deepEqual(await mergeWorktree({ root, name: 'impl-1' }), { merged: false, branch: 'lockstep/impl-1', targetBranch: 'main', commit: tip })
  assert.equal((await worktreeStatus({ root, name: 'impl-1' })).ahead, 0)
})

test('mergeWorktree makes a merge commit when both sides moved', async (t) => {
  const { root, tip } = await repoWithWork(t)
  writeFiles(root, { 'src/a.ts': 'line 1 (main)\nline 2\nline 3\nline 4\n', 'main.txt': 'main\n' })
  const mainTip = commitAll(root, 'main work')

  const result = await mergeWorktree({ root, name: 'impl-1' })
  assert.equal(result.merged, true)
  assert.ok(result.merged && !result.fastForward && result.workingTreeUpdated)
  assert.equal(git(root, 'rev-parse', 'main'), result.commit)
  assert.equal(git(root, 'rev-list', '--parents', '-n', '1', 'main'), `${result.commit} ${mainTip} ${tip}`)
  assert.equal(git(root, 'log', '-1', '--format=%s%n%an <%ae>'), 'Merge lockstep/impl-1 into main\nlockstep-mcp <lockstep-mcp@localhost>')
  assert.match(git(root, 'log', '--graph', '--oneline'), /^\* {3}[0-9a-f]+ Merge lockstep\/impl-1 into main\n\|\\/)
  assert.equal(git(root, 'status', '--porcelain'), '')
  assert.equal(readFileSync(join(root, 'src/a.ts'), 'utf8'), 'line 1 (main)\nline 2\nline 3\nline 4 (impl-1)\n')
  assert.equal(readFileSync(join(root, 'src/b.ts'), 'utf8'), 'export const b = 1\n')
  assert.equal(existsSync(join(root, 'old.txt')), false)
  assert.equal(gitTry(root, 'fsck', '--no-progress').status, 0)
  assert.equal((await worktreeStatus({ root, name: 'impl-1' })).behind, 2)
})

test('mergeWorktree signs merge commits with the repository identity, or the given author', async (t) => {
  const { root, path } = await repoWithWork(t)
  git(root, 'config', 'user.name', 'Repo Owner')
  git(root, 'config', 'user.email', 'owner@example.com')
  writeFiles(root, { 'main.txt': 'main\n' })
  commitAll(root, 'main work')
  await mergeWorktree({ root, name: 'impl-1' })
  assert.equal(git(root, 'log', '-1', '--format=%an <%ae>|%cn <%ce>'), 'Repo Owner <owner@example.com>|Repo Owner <owner@example.com>')

  writeFiles(path, { 'more.txt': 'more\n' })
  commitAll(path, 'more')
  writeFiles(root, { 'main2.txt': 'main\n' })
  commitAll(root, 'main again')
  await mergeWorktree({ root, name: 'impl-1', author: { name: 'Planner', email: 'planner@example.com' } })
  assert.equal(git(root, 'log', '-1', '--format=%an <%ae>'), 'Planner <planner@example.com>')
})

test('mergeWorktree reports conflicts and leaves the target and the main checkout untouched', async (t) => {
  const { root } = await repoWithWork(t)
  writeFiles(root, { 'src/a.ts': 'line 1\nline 2\nline 3\nline 4 (main)\n' })
  const mainTip = commitAll(root, 'main edits the same line')
  const bytes = readFileSync(join(root, 'src/a.ts'))
  const index = readFileSync(join(root, '.git/index'))

  const error = await rejection(mergeWorktree({ root, name: 'impl-1' }))
  assert.equal(error.code, 'CONFLICT')
  assert.deepEqual(error.data?.conflicts, ['src/a.ts'])
  assert.equal(git(root, 'rev-parse', 'main'), mainTip)
  assert.deepEqual(readFileSync(join(root, 'src/a.ts')), bytes)
  assert.deepEqual(readFileSync(join(root, '.git/index')), index)
  assert.equal(existsSync(join(root, 'src/b.ts')), false)
  assert.equal(existsSync(join(root, '.git/MERGE_HEAD')), false)
  assert.equal(git(root, 'status', '--porcelain'), '')
})

test('mergeWorktree refuses when local changes in the main checkout are in the way', async (t) => {
  const { root } = await repoWithWork(t)
  const mainTip = git(root, 'rev-parse', 'main')
  writeFiles(root, { 'src/a.ts': 'my unsaved edit\n' })
  const edited = await rejection(mergeWorktree({ root, name: 'impl-1' }))
  assert.equal(edited.code, 'CONFLICT')
  assert.deepEqual(edited.data?.files, ['src/a.ts'])
  assert.equal(readFileSync(join(root, 'src/a.ts'), 'utf8'), 'my unsaved edit\n')
  assert.equal(git(root, 'rev-parse', 'main'), mainTip)

  git(root, 'checkout', '-q', '--', 'src/a.ts')
  writeFiles(root, { 'src/b.ts': 'untracked, mine\n' })
  const untracked = await rejection(mergeWorktree({ root, name: 'impl-1' }))
  assert.equal(untracked.code, 'CONFLICT')
  assert.deepEqual(untracked.data?.files, ['src/b.ts'])
  assert.equal(readFileSync(join(root, 'src/b.ts'), 'utf8'), 'untracked, mine\n')

  rmSync(join(root, 'src/b.ts'))
  writeFiles(root, { 'old.txt': 'staged edit\n' })
  git(root, 'add', 'old.txt')
  assert.deepEqual((await rejection(mergeWorktree({ root, name: 'impl-1' }))).data?.files, ['old.txt'])
  assert.equal(git(root, 'rev-parse', 'main'), mainTip)
  assert.equal(git(root, 'status', '--porcelain'), 'M  old.txt')
})

test('mergeWorktree keeps unrelated local edits in the main checkout', async (t) => {
  const { root } = await repoWithWork(t)
  writeFiles(root, { 'main.txt': 'main\n' })
  commitAll(root, 'main work')
  writeFiles(root, { 'README.md': '# my unsaved edit\n', 'notes.txt': 'staged, mine\n', 'scratch.txt': 'untracked, mine\n' })
  git(root, 'add', 'notes.txt')

  const result = await mergeWorktree({ root, name: 'impl-1' })
  assert.ok(result.merged && !result.fastForward && result.workingTreeUpdated)
  assert.equal(git(root, 'status', '--porcelain'), ' M README.md\nA  notes.txt\n?? scratch.txt')
  assert.equal(readFileSync(join(root, 'README.md'), 'utf8'), '# my unsaved edit\n')
  assert.equal(readFileSync(join(root, 'scratch.txt'), 'utf8'), 'untracked, mine\n')
  assert.equal(readFileSync(join(root, 'src/b.ts'), 'utf8'), 'export const b = 1\n')
  assert.equal(git(root, 'show', 'HEAD:src/b.ts'), 'export const b = 1')
  assert.equal(gitTry(root, 'cat-file', '-e', 'HEAD:notes.txt').status, 128)
})

test('mergeWorktree refuses a dirty worktree, a target checked out elsewhere, and missing branches', async (t) => {
  const { root, path } = await repoWithWork(t)
  writeFiles(path, { 'wip.txt': 'wip\n' })
  const dirty = await rejection(mergeWorktree({ root, name: 'impl-1' }))
  assert.equal(dirty.code, 'CONFLICT')
  assert.deepEqual(dirty.data?.files, ['wip.txt'])
  rmSync(join(path, 'wip.txt'))

  git(root, 'branch', 'release')
  git(root, 'worktree', 'add', '-q', join(emptyDir(t), 'release'), 'release')
  assert.equal((await rejection(mergeWorktree({ root, name: 'impl-1', targetBranch: 'release' }))).code, 'CONFLICT')
  assert.equal((await rejection(mergeWorktree({ root, name: 'impl-1', targetBranch: 'nope' }))).code, 'NOT_FOUND')
  assert.equal((await rejection(mergeWorktree({ root, name: 'nobody' }))).code, 'NOT_FOUND')
  assert.equal((await rejection(mergeWorktree({ root, name: 'impl-1', targetBranch: 'lockstep/impl-1' }))).code, 'INVALID_INPUT')
  assert.equal((await rejection(mergeWorktree({ root, name: 'impl-1', targetBranch: 'bad..name' }))).code, 'INVALID_INPUT')
})

test('mergeWorktree moves a target that is not checked out without touching the main checkout', async (t) => {
  const { root, tip } = await repoWithWork(t)
  git(root, 'branch', 'release')
  const mainTip = git(root, 'rev-parse', 'main')
  const result = await mergeWorktree({ root, name: 'impl-1', targetBranch: 'release' })
  assert.ok(result.merged && result.fastForward && !result.workingTreeUpdated)
  assert.equal(git(root, 'rev-parse', 'release'), tip)
  assert.equal(git(root, 'rev-parse', 'main'), mainTip)
  assert.equal(git(root, 'status', '--porcelain'), '')
  assert.equal(existsSync(join(root, 'src/b.ts')), false)
})

test('mergeWorktree refuses histories with several merge bases', async (t) => {
  const root = makeRepo(t)
  const { path } = await createWorktree({ root, name: 'impl-1' })
  writeFiles(root, { 'm1.txt': '1\n' })
  const m1 = commitAll(root, 'm1')
  writeFiles(path, { 'w1.txt': '1\n' })
  const w1 = commitAll(path, 'w1')
  const ident = ['-c', 'user.name=t', '-c', 'user.email=t@t']
  git(root, ...ident, 'merge', '-q', '--no-edit', w1)
  git(path, ...ident, 'merge', '-q', '--no-edit', m1)
  const mainTip = git(root, 'rev-parse', 'main')
  const error = await rejection(mergeWorktree({ root, name: 'impl-1' }))
  assert.equal(error.code, 'CONFLICT')
  assert.equal((error.data?.mergeBases as string[]).length, 2)
  assert.equal(git(root, 'rev-parse', 'main'), mainTip)
})

test('mergeWorktree refuses an untracked symlink where the merge needs a folder', async (t) => {
  const { root, path } = await repoWithWork(t)
  writeFiles(path, { 'sub/x.txt': 'x\n' })
  commitAll(path, 'add sub/x.txt')
  const mainTip = git(root, 'rev-parse', 'main')
  symlinkSync(emptyDir(t), join(root, 'sub'))
  const error = await rejection(mergeWorktree({ root, name: 'impl-1' }))
  assert.equal(error.code, 'CONFLICT')
  assert.deepEqual(error.data?.files, ['sub'])
  assert.equal(git(root, 'rev-parse', 'main'), mainTip)
  assert.equal(git(root, 'status', '--porcelain'), '?? sub')
})

test('mergeWorktree puts the target and the main checkout back when updating the files fails', async (t) => {
  const root = makeRepo(t, { 'README.md': '# demo\n', 'src/a.ts': 'a\n', 'old.txt': 'old\n' })
  const mainTip = git(root, 'rev-parse', 'main')
  // a branch whose tree holds a file name longer than the file system allows, built with plumbing
  const index = join(emptyDir(t), 'index')
  const plumbing = (...args: string[]) => execFileSync('git', args, { cwd: root, env: { ...GIT_ENV, GIT_INDEX_FILE: index }, encoding: 'utf8' }).trim()
  writeFiles(root, { 'src/a.ts': 'changed\n' })
  const blob = plumbing('hash-object', '-w', 'src/a.ts')
  git(root, 'checkout', '-q', '--', 'src/a.ts')
  plumbing('read-tree', 'main')
  plumbing('update-index', '--add', '--cacheinfo', `100644,${blob},src/a.ts`)
  plumbing('update-index', '--add', '--cacheinfo', `100644,${blob},${'n'.repeat(300)}.txt`)
  plumbing('update-index', '--force-remove', 'old.txt')
  const tree = plumbing('write-tree')
  const commit = plumbing('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit-tree', tree, '-p', 'main', '-m', 'too long')
  git(root, 'update-ref', 'refs/heads/lockstep/impl-9', commit)
  const before = { a: readFileSync(join(root, 'src/a.ts')), old: readFileSync(join(root, 'old.txt')) }

  const error = await rejection(mergeWorktree({ root, name: 'impl-9' }))
  assert.equal(error.code, 'CONFLICT')
  assert.equal(git(root, 'rev-parse', 'main'), mainTip)
  assert.deepEqual(readFileSync(join(root, 'src/a.ts')), before.a)
  assert.deepEqual(readFileSync(join(root, 'old.txt')), before.old)
  assert.equal(git(root, 'status', '--porcelain'), '')
  assert.equal(git(root, 'diff', '--cached', '--name-only'), '')
})

test('mergeWorktree works in a packed repository', async (t) => {
  const root = makeRepo(t, { 'README.md': '# demo\n', 'src/a.ts': 'line 1\nline 2\nline 3\nline 4\n' })
  git(root, 'gc', '-q', '--prune=now')
  assert.equal(existsSync(join(root, '.git/refs/heads/main')), false)
  const { path } = await createWorktree({ root, name: 'impl-1' })
  writeFiles(path, { 'src/a.ts': 'line 1\nline 2\nline 3\nline 4 (impl-1)\n', 'src/b.ts': 'b\n' })
  const first = commitAll(path, 'first')
  git(root, 'gc', '-q', '--prune=now')
  const fastForward = await mergeWorktree({ root, name: 'impl-1' })
  assert.ok(fastForward.merged && fastForward.fastForward)
  assert.equal(git(root, 'rev-parse', 'main'), first)
  assert.equal(git(root, 'status', '--porcelain'), '')

  writeFiles(path, { 'late.txt': 'late\n' })
  const tip = commitAll(path, 'late')
  writeFiles(root, { 'src/a.ts': 'line 1 (main)\nline 2\nline 3\nline 4 (impl-1)\n' })
  const mainTip = commitAll(root, 'main work')
  git(root, 'gc', '-q', '--prune=now')
  const merged = await mergeWorktree({ root, name: 'impl-1' })
  assert.ok(merged.merged && !merged.fastForward)
  assert.equal(git(root, 'rev-list', '--parents', '-n', '1', 'main'), `${merged.commit} ${mainTip} ${tip}`)
  assert.equal(git(root, 'status', '--porcelain'), '')
  assert.equal(readFileSync(join(root, 'late.txt'), 'utf8'), 'late\n')
  assert.equal(readFileSync(join(root, 'src/a.ts'), 'utf8'), 'line 1 (main)\nline 2\nline 3\nline 4 (impl-1)\n')
  assert.equal(gitTry(root, 'fsck', '--no-progress').status, 0)
})
