import assert from 'node:assert/strict'
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createWorktree, findMainWorkingTree as findMainWorktree, listWorktrees, pruneWorktrees, removeWorktree, worktreeStatus } from '../lib/git/index.js'
import { commitAll, emptyDir, git, gitTry, makeRepo, pruneDryRun, rejection, worktreePath, writeFiles } from './support/git-helpers.js'

test('createWorktree makes a linked worktree that real git accepts', async (t) => {
  const root = makeRepo(t)
  const created = await createWorktree({ root, name: 'impl-1' })
  const path = worktreePath(root, 'impl-1')
  assert.deepEqual(created, { path, branch: 'lockstep/impl-1', baseBranch: 'main', head: git(root, 'rev-parse', 'main'), created: true })
  const listed = git(root, 'worktree', 'list', '--porcelain')
  assert.ok(listed.includes(`worktree ${path}\nHEAD ${created.head}\nbranch refs/heads/lockstep/impl-1`), listed)
  assert.equal(git(path, 'status', '--porcelain'), '')
  assert.equal(git(path, 'rev-parse', '--abbrev-ref', 'HEAD'), 'lockstep/impl-1')
  assert.equal(git(path, 'rev-parse', '--git-common-dir'), join(root, '.git'))
  assert.equal(readFileSync(join(path, 'src/a.ts'), 'utf8'), 'export const a = 1\n')
  assert.equal(git(root, 'status', '--porcelain'), '')
  assert.equal(gitTry(root, 'fsck', '--no-progress').status, 0)
  assert.equal(pruneDryRun(root), '')
  assert.equal(readFileSync(join(root, '.git/worktrees/impl-1/gitdir'), 'utf8'), `${join(path, '.git')}\n`)
})

test('createWorktree keeps executable bits and symlinks', async (t) => {
  const root = emptyDir(t)
  git(root, 'init', '-q', '-b', 'main')
  writeFiles(root, { 'run.sh': '#!/bin/sh\necho hi\n', 'docs/target.txt': 'x\n' })
  chmodSync(join(root, 'run.sh'), 0o755)
  symlinkSync('docs/target.txt', join(root, 'link'))
  commitAll(root, 'initial')
  const { path } = await createWorktree({ root, name: 'impl-1' })
  assert.equal(statSync(join(path, 'run.sh')).mode & 0o111, 0o111)
  assert.ok(lstatSync(join(path, 'link')).isSymbolicLink())
  assert.equal(readlinkSync(join(path, 'link')), 'docs/target.txt')
  assert.equal(git(path, 'status', '--porcelain'), '')
})

test('createWorktree reuses an existing worktree and branch as they are', async (t) => {
  const root = makeRepo(t)
  const first = await createWorktree({ root, name: 'impl-1' })
  writeFiles(first.path, { 'feature.ts': 'x\n' })
  const tip = commitAll(first.path, 'feature')
  writeFiles(first.path, { 'scratch.txt': 'keep me\n' })
  const again = await createWorktree({ root, name: 'impl-1' })
  assert.equal(again.created, false)
  assert.equal(again.head, tip)
  assert.equal(readFileSync(join(first.path, 'scratch.txt'), 'utf8'), 'keep me\n')

  git(root, 'worktree', 'remove', '--force', first.path)
  const recreated = await createWorktree({ root, name: 'impl-1' })
  assert.equal(recreated.created, true)
  assert.equal(recreated.head, tip)
  assert.equal(git(recreated.path, 'rev-parse', 'HEAD'), tip)
  assert.equal(git(recreated.path, 'status', '--porcelain'), '')
  assert.equal(
    readFileSync(join(root, '.git/info/exclude'), 'utf8')
      .split('\n')
      .filter((line) => line === '/.lockstep/worktrees/').length,
    1,
  )
})

test('createWorktree replaces a stale entry whose folder was deleted, keeping the branch', async (t) => {
  const root = makeRepo(t)
  const first = await createWorktree({ root, name: 'impl-1' })
  writeFiles(first.path, { 'feature.ts': 'x\n' })
  const tip = commitAll(first.path, 'feature')
  rmSync(first.path, { recursive: true, force: true })
  const again = await createWorktree({ root, name: 'impl-1' })
  assert.equal(again.created, true)
  assert.equal(again.head, tip)
  assert.equal(git(again.path, 'status', '--porcelain'), '')
  assert.equal(pruneDryRun(root), '')
})

test('createWorktree refuses a repository without commits, a folder outside git, bad names and missing roots', async (t) => {
  const unborn = emptyDir(t)
  git(unborn, 'init', '-q', '-b', 'main')
  assert.equal((await rejection(createWorktree({ root: unborn, name: 'impl-1' }))).code, 'CONFLICT')
  assert.equal(existsSync(worktreePath(unborn, 'impl-1')), false)
  assert.equal(gitTry(unborn, 'rev-parse', '--verify', 'lockstep/impl-1').status, 128)

  const plain = emptyDir(t)
  assert.equal((await rejection(createWorktree({ root: plain, name: 'impl-1' }))).code, 'CONFLICT')
  assert.equal((await rejection(createWorktree({ root: join(plain, 'nope'), name: 'impl-1' }))).code, 'NOT_FOUND')
  for (const name of ['../x', 'a..b', 'x.lock', '-x', 'a/b', '']) {
    assert.equal((await rejection(createWorktree({ root: plain, name }))).code, 'INVALID_INPUT', name)
  }
  assert.equal((await rejection(createWorktree({ root: plain, name: 'x', extra: 1 } as never))).code, 'INVALID_INPUT')
})

test('createWorktree refuses a branch checked out in another worktree and a foreign folder in its place', async (t) => {
  const root = makeRepo(t)
  const elsewhere = join(emptyDir(t), 'other')
  git(root, 'worktree', 'add', '-q', '-b', 'lockstep/impl-1', elsewhere)
  assert.equal((await rejection(createWorktree({ root, name: 'impl-1' }))).code, 'CONFLICT')
  git(root, 'checkout', '-q', '-b', 'lockstep/impl-2')
  assert.equal((await rejection(createWorktree({ root, name: 'impl-2' }))).code, 'CONFLICT')
  git(root, 'checkout', '-q', 'main')

  writeFiles(worktreePath(root, 'impl-3'), { 'notes.txt': 'mine\n' })
  assert.equal((await rejection(createWorktree({ root, name: 'impl-3' }))).code, 'CONFLICT')
  assert.equal(readFileSync(join(worktreePath(root, 'impl-3'), 'notes.txt'), 'utf8'), 'mine\n')
})

test('createWorktree runs its writes inside withRepoLock', async (t) => {
  const root = makeRepo(t)
  const calls: string[] = []
  const withRepoLock = async <T>(fn: () => Promise<T>): Promise<T> => {
    calls.push('enter')
    try {
      return await fn()
    } finally {
      calls.push('leave')
    }
  }
  await createWorktree({ root, name: 'impl-1', withRepoLock })
  await pruneWorktrees({ root, withRepoLock })
  await removeWorktree({ root, name: 'impl-1', withRepoLock })
  assert.deepEqual(calls, ['enter', 'leave', 'enter', 'leave', 'enter', 'leave'])
})

test('worktreeStatus counts commits ahead and behind and lists local changes', async (t) => {
  const root = makeRepo(t)
  const { path } = await createWorktree({ root, name: 'impl-1' })
  const clean = await worktreeStatus({ root, name: 'impl-1' })
  assert.deepEqual([clean.ahead, clean.behind, clean.hasUncommittedChanges, clean.missing, clean.diff], [0, 0, false, false, []])

  writeFiles(path, { 'src/new.ts': 'n\n', 'src/a.ts': 'export const a = 2\n' })
  const tip = commitAll(path, 'add new.ts\n\nwith a body')
  git(path, 'rm', '-q', 'README.md')
  writeFiles(path, { 'loose.txt': '?\n' })
  writeFiles(root, { 'main-only.txt': 'm\n' })
  commitAll(root, 'on main')

  const status = await worktreeStatus({ root, name: 'impl-1', baseBranch: 'main' })
  assert.equal(status.head, tip)
  assert.equal(status.baseBranch, 'main')
  assert.deepEqual([status.ahead, status.behind], [1, 1])
  assert.equal(status.hasUncommittedChanges, true)
  assert.deepEqual(status.modifiedFiles, ['README.md'])
  assert.deepEqual(status.untrackedFiles, ['loose.txt'])
  assert.equal(status.commits.length, 1)
  assert.equal(status.commits[0].oid, tip)
  assert.equal(status.commits[0].message, 'add new.ts\n\nwith a body')
  assert.equal(status.commits[0].author, 't <t@t>')
  assert.deepEqual(status.diff, [
    { path: 'src/a.ts', change: 'modified' },
    { path: 'src/new.ts', change: 'added' },
  ])
  assert.equal(git(path, 'status', '--porcelain'), 'D  README.md\n?? loose.txt')
})

test('worktreeStatus caps commits at 50 and reports a deleted folder as missing', async (t) => {
  const root = makeRepo(t)
  const { path } = await createWorktree({ root, name: 'impl-1' })
  for (let i = 0; i < 55; i++) {
    writeFiles(path, { 'counter.txt': `${i}\n` })
    commitAll(path, `step ${i}`)
  }
  rmSync(path, { recursive: true, force: true })
  const status = await worktreeStatus({ root, name: 'impl-1' })
  assert.equal(status.missing, true)
  assert.equal(status.ahead, 55)
  assert.equal(status.commits.length, 50)
  assert.equal(status.commits[0].message, 'step 54')
  assert.deepEqual(status.diff, [{ path: 'counter.txt', change: 'added' }])
  assert.equal((await rejection(worktreeStatus({ root, name: 'nobody' }))).code, 'NOT_FOUND')
  assert.equal((await rejection(worktreeStatus({ root, name: 'impl-1', baseBranch: 'nope' }))).code, 'NOT_FOUND')
})

test('findMainWorktree maps folders in the main tree and in linked worktrees to the main tree', async (t) => {
  const root = makeRepo(t)
  const { path } = await createWorktree({ root, name: 'impl-1' })
  const elsewhere = join(emptyDir(t), 'other')
  git(root, 'worktree', 'add', '-q', '-b', 'side', elsewhere)
  mkdirSync(join(path, 'src', 'deep'), { recursive: true })
  assert.equal(findMainWorktree(root), root)
  assert.equal(findMainWorktree(join(root, 'src')), root)
  assert.equal(findMainWorktree(path), root)
  assert.equal(findMainWorktree(join(path, 'src', 'deep')), root)
  assert.equal(findMainWorktree(elsewhere), root)
  assert.equal(findMainWorktree(emptyDir(t)), null)
})

test('listWorktrees lists lockstep worktrees only, and nothing outside git', async (t) => {
  const root = makeRepo(t)
  const one = await createWorktree({ root, name: 'impl-1' })
  const two = await createWorktree({ root, name: 'impl-2' })
  git(root, 'worktree', 'add', '-q', '-b', 'side', join(emptyDir(t), 'side'))
  const outside = join(emptyDir(t), 'out')
  git(root, 'worktree', 'add', '-q', '-b', 'lockstep/outside', outside)
  rmSync(two.path, { recursive: true, force: true })
  const listed = await listWorktrees({ root })
  assert.deepEqual(listed, [
    { name: 'impl-1', path: one.path, branchName: 'lockstep/impl-1', head: one.head, exists: true },
    { name: 'impl-2', path: two.path, branchName: 'lockstep/impl-2', head: two.head, exists: false },
    { name: 'out', path: outside, branchName: 'lockstep/outside', head: one.head, exists: true },
  ])
  assert.deepEqual(await listWorktrees({ root: emptyDir(t) }), [])
})

test('removeWorktree refuses uncommitted changes and unmerged commits unless forced', async (t) => {
  const root = makeRepo(t)
  const { path } = await createWorktree({ root, name: 'impl-1' })
  writeFiles(path, { 'wip.txt': 'wip\n' })
  const dirty = await rejection(removeWorktree({ root, name: 'impl-1' }))
  assert.equal(dirty.code, 'CONFLICT')
  assert.deepEqual(dirty.data?.files, ['wip.txt'])
  commitAll(path, 'wip')
  assert.equal((await rejection(removeWorktree({ root, name: 'impl-1' }))).code, 'CONFLICT')
  assert.ok(existsSync(join(path, 'wip.txt')))
  assert.ok(git(root, 'worktree', 'list').includes(path))

  const removed = await removeWorktree({ root, name: 'impl-1', force: true })
  assert.deepEqual(removed, { name: 'impl-1', path, branch: 'lockstep/impl-1', removed: true, branchDeleted: true })
  assert.equal(existsSync(path), false)
  assert.equal(pruneDryRun(root), '')
  assert.ok(!git(root, 'worktree', 'list').includes(path))
  assert.equal(gitTry(root, 'rev-parse', '--verify', '-q', 'lockstep/impl-1').status, 1)
  assert.equal((await rejection(removeWorktree({ root, name: 'impl-1' }))).code, 'NOT_FOUND')
})

test('removeWorktree deletes a merged branch, keeps it on request, and leaves nothing for git to prune', async (t) => {
  const root = makeRepo(t)
  const one = await createWorktree({ root, name: 'impl-1' })
  writeFiles(one.path, { 'f.txt': 'f\n' })
  commitAll(one.path, 'f')
  git(root, 'merge', '-q', '--ff-only', 'lockstep/impl-1')
  assert.deepEqual(await removeWorktree({ root, name: 'impl-1' }), { name: 'impl-1', path: one.path, branch: 'lockstep/impl-1', removed: true, branchDeleted: true })
  assert.equal(gitTry(root, 'rev-parse', '--verify', '-q', 'lockstep/impl-1').status, 1)

  const two = await createWorktree({ root, name: 'impl-2' })
  const kept = await removeWorktree({ root, name: 'impl-2', deleteBranch: false })
  assert.equal(kept.branchDeleted, false)
  assert.equal(git(root, 'rev-parse', 'lockstep/impl-2'), two.head)
  assert.equal(pruneDryRun(root), '')
  assert.equal(
    git(root, 'worktree', 'list', '--porcelain')
      .split('\n')
      .filter((line) => line.startsWith('worktree ')).length,
    1,
  )
  assert.equal(git(root, 'status', '--porcelain'), '')
  assert.equal(gitTry(root, 'fsck', '--no-progress').status, 0)
})

test('pruneWorktrees drops entries whose folder is gone and keeps their branches', async (t) => {
  const root = makeRepo(t)
  const one = await createWorktree({ root, name: 'impl-1' })
  await createWorktree({ root, name: 'impl-2' })
  rmSync(one.path, { recursive: true, force: true })
  assert.notEqual(pruneDryRun(root), '')
  assert.deepEqual(await pruneWorktrees({ root }), { pruned: ['impl-1'] })
  assert.equal(pruneDryRun(root), '')
  assert.equal(git(root, 'rev-parse', 'lockstep/impl-1'), one.head)
  assert.ok(git(root, 'worktree', 'list').includes(worktreePath(root, 'impl-2')))
  assert.deepEqual(await pruneWorktrees({ root: emptyDir(t) }), { pruned: [] })
})

test('worktrees work in a packed repository', async (t) => {
  const root = makeRepo(t)
  for (let i = 0; i < 5; i++) {
    writeFiles(root, { [`f${i}.txt`]: `${i}\n` })
    commitAll(root, `c${i}`)
  }
  git(root, 'gc', '-q', '--prune=now')
  assert.equal(existsSync(join(root, '.git/refs/heads/main')), false)
  const { path, head } = await createWorktree({ root, name: 'impl-1' })
  assert.equal(head, git(root, 'rev-parse', 'main'))
  assert.equal(git(path, 'status', '--porcelain'), '')
  writeFiles(path, { 'g.txt': 'g\n' })
  commitAll(path, 'g')
  git(root, 'gc', '-q', '--prune=now')
  const status = await worktreeStatus({ root, name: 'impl-1' })
  assert.deepEqual([status.ahead, status.behind], [1, 0])
  writeFileSync(join(path, 'f0.txt'), 'changed\n')
  assert.deepEqual((await worktreeStatus({ root, name: 'impl-1' })).modifiedFiles, ['f0.txt'])
  assert.equal((await removeWorktree({ root, name: 'impl-1', force: true })).branchDeleted, true)
  assert.equal(gitTry(root, 'rev-parse', '--verify', '-q', 'lockstep/impl-1').status, 1)
  assert.equal(git(root, 'rev-parse', 'main'), head)
  assert.equal(gitTry(root, 'fsck', '--no-progress').status, 0)
})
