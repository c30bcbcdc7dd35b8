import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { resolveAccessPath, type AccessMode } from '../lib/workspace/access.js'
import { writeFileAtomic } from '../lib/workspace/files.js'
import { tempDir } from './support/helpers.js'

const skipLinks = process.platform === 'win32' ? 'symlinks need privileges on Windows' : false

/** root/ is the work root and the only strict root; outside/ holds a secret and must never gain a file. */
function fixture(t: TestContext): { root: string; outside: string } {
  const base = tempDir(t, 'lockstep-access-')
  const root = join(base, 'root')
  const outside = join(base, 'outside')
  mkdirSync(join(root, '.git'), { recursive: true })
  mkdirSync(join(root, '.lockstep'), { recursive: true })
  mkdirSync(outside)
  writeFileSync(join(root, 'inside.txt'), 'inside')
  writeFileSync(join(root, '.git', 'config'), 'config')
  writeFileSync(join(root, '.lockstep', 'state.json'), '{}')
  writeFileSync(join(outside, 'secret.txt'), 'secret')
  if (!skipLinks) {
    symlinkSync(join(outside, 'secret.txt'), join(root, 'link-out'))
    symlinkSync(outside, join(root, 'dir-out'))
    symlinkSync(join(outside, 'planted.txt'), join(root, 'dangling-out'))
    symlinkSync(join(root, '.git'), join(root, 'git-link'))
    symlinkSync(join(root, '.lockstep', 'state.json'), join(root, 'state-link'))
    symlinkSync(join(root, 'inside.txt'), join(root, 'alias.txt'))
  }
  return { root, outside }
}

/** What file_write will do: check the policy, then write to the real path. */
async function guardedWrite(root: string, path: string, mode: AccessMode = 'strict'): Promise<void> {
  const resolved = await resolveAccessPath({ path, workRoot: root, mode, roots: [root], forWrite: true })
  await writeFileAtomic({ absPath: resolved.realPath, content: 'marker', encoding: 'utf8', mode: 'overwrite', createDirs: true })
}

async function assertForbidden(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: { code?: string }) => error.code === 'FORBIDDEN')
}

function assertOutsideUntouched(outside: string): void {
  assert.deepEqual(readdirSync(outside), ['secret.txt'])
  assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'secret')
}

test('strict mode refuses a ../ escape out of the root, for reads and writes', async (t) => {
  const { root, outside } = fixture(t)
  await assertForbidden(resolveAccessPath({ path: '../outside/secret.txt', workRoot: root, mode: 'strict', roots: [root], forWrite: false }))
  await assertForbidden(guardedWrite(root, '../outside/marker.txt'))
  await assertForbidden(guardedWrite(root, 'sub/../../outside/marker.txt'))
  assertOutsideUntouched(outside)
})

test('strict mode refuses an absolute path outside the roots', async (t) => {
  const { root, outside } = fixture(t)
  await assertForbidden(guardedWrite(root, join(outside, 'marker.txt')))
  assertOutsideUntouched(outside)
})

test('strict mode refuses a file symlink inside the root that points out, for reads', { skip: skipLinks }, async (t) => {
  const { root } = fixture(t)
  await assertForbidden(resolveAccessPath({ path: 'link-out', workRoot: root, mode: 'strict', roots: [root], forWrite: false }))
})

test('strict mode refuses a file symlink inside the root that points out, for writes', { skip: skipLinks }, async (t) => {
  const { root, outside } = fixture(t)
  await assertForbidden(guardedWrite(root, 'link-out'))
  assertOutsideUntouched(outside)
})

test('strict mode refuses a new file under a symlinked parent folder that points out', { skip: skipLinks }, async (t) => {
  const { root, outside } = fixture(t)
  await assertForbidden(guardedWrite(root, 'dir-out/marker.txt'))
  await assertForbidden(guardedWrite(root, 'dir-out/deeper/marker.txt'))
  assertOutsideUntouched(outside)
})

test('strict mode refuses a dangling symlink whose target would be created outside', { skip: skipLinks }, async (t) => {
  const { root, outside } = fixture(t)
  await assertForbidden(guardedWrite(root, 'dangling-out'))
  assertOutsideUntouched(outside)
})

test('a NUL byte in the path is refused in both modes', async (t) => {
  const { root, outside } = fixture(t)
  await assertForbidden(guardedWrite(root, 'inside.txt\0../../outside/marker.txt', 'strict'))
  await assertForbidden(guardedWrite(root, 'inside.txt\0', 'open'))
  await assertForbidden(resolveAccessPath({ path: 'a\0b', workRoot: root, mode: 'open', roots: [], forWrite: false }))
  assertOutsideUntouched(outside)
})

test('strict mode allows a new nested file inside the root and reports where it will live', async (t) => {
  const { root } = fixture(t)
  const resolved = await resolveAccessPath({ path: 'a/b/new.txt', workRoot: root, mode: 'strict', roots: [root], forWrite: true })
  assert.equal(resolved.exists, false)
  assert.equal(resolved.realPath, join(root, 'a', 'b', 'new.txt'))
  assert.equal(resolved.relativePath, 'a/b/new.txt')
  await guardedWrite(root, 'a/b/new.txt')
  assert.equal(readFileSync(join(root, 'a', 'b', 'new.txt'), 'utf8'), 'marker')
})

test('strict mode compares real paths, so a root given through a symlink still contains its files', { skip: skipLinks }, async (t) => {
  const { root } = fixture(t)
  const viaLink = join(root, '..', 'root-link')
  symlinkSync(root, viaLink)
  const resolved = await resolveAccessPath({ path: 'inside.txt', workRoot: viaLink, mode: 'strict', roots: [viaLink], forWrite: false })
  assert.equal(resolved.realPath, join(root, 'inside.txt'))
  assert.equal(resolved.relativePath, 'inside.txt')
  assert.equal(resolved.exists, true)
})

test('strict mode without roots refuses everything', async (t) => {
  const { root } = fixture(t)
  await assertForbidden(resolveAccessPath({ path: 'inside.txt', workRoot: root, mode: 'strict', roots: [], forWrite: false }))
})

test('open mode reads outside the work root and leaves relativePath out', async (t) => {
  const { root, outside } = fixture(t)
  const resolved = await resolveAccessPath({ path: join(outside, 'secret.txt'), workRoot: root, mode: 'open', roots: [], forWrite: false })
  assert.equal(resolved.realPath, join(outside, 'secret.txt'))
  assert.equal(resolved.exists, true)
  assert.equal(resolved.relativePath, undefined)
})

test('writes into .git are refused in open mode, reads are not', async (t) => {
  const { root } = fixture(t)
  await assertForbidden(guardedWrite(root, '.git/config', 'open'))
  await assertForbidden(guardedWrite(root, '.git/hooks/pre-commit', 'open'))
  await assertForbidden(guardedWrite(root, 'vendor/lib/.git/HEAD', 'open'))
  await assertForbidden(guardedWrite(root, '.git', 'open'))
  assert.equal(readFileSync(join(root, '.git', 'config'), 'utf8'), 'config')
  assert.equal(existsSync(join(root, '.git', 'hooks')), false)
  assert.equal(existsSync(join(root, 'vendor')), false)
  const read = await resolveAccessPath({ path: '.git/config', workRoot: root, mode: 'open', roots: [], forWrite: false })
  assert.equal(read.exists, true)
  await guardedWrite(root, '.gitignore', 'open')
  assert.equal(readFileSync(join(root, '.gitignore'), 'utf8'), 'marker')
})

test('writes under the work root .lockstep/ are refused in open mode', async (t) => {
  const { root } = fixture(t)
  await assertForbidden(guardedWrite(root, '.lockstep/state.json', 'open'))
  await assertForbidden(guardedWrite(root, '.lockstep/new/file.txt', 'open'))
  await assertForbidden(guardedWrite(root, join(root, '.lockstep', 'x.tmp'), 'open'))
  assert.equal(readFileSync(join(root, '.lockstep', 'state.json'), 'utf8'), '{}')
  assert.deepEqual(readdirSync(join(root, '.lockstep')), ['state.json'])
})

test('symlinks inside the root that point into .git or .lockstep/ are refused for writes', { skip: skipLinks }, async (t) => {
  const { root } = fixture(t)
  await assertForbidden(guardedWrite(root, 'git-link/config', 'open'))
  await assertForbidden(guardedWrite(root, 'git-link/new-hook', 'open'))
  await assertForbidden(guardedWrite(root, 'state-link', 'open'))
  assert.equal(readFileSync(join(root, '.git', 'config'), 'utf8'), 'config')
  assert.equal(readFileSync(join(root, '.lockstep', 'state.json'), 'utf8'), '{}')
  assert.equal(existsSync(join(root, '.git', 'new-hook')), false)
})

test('a symlink to a file in the root reports the target relative path', { skip: skipLinks }, async (t) => {
  const { root } = fixture(t)
  const resolved = await resolveAccessPath({ path: 'alias.txt', workRoot: root, mode: 'strict', roots: [root], forWrite: true })
  assert.equal(resolved.absPath, join(root, 'alias.txt'))
  assert.equal(resolved.realPath, join(root, 'inside.txt'))
  assert.equal(resolved.relativePath, 'inside.txt')
})

test('~ is not expanded: it is an ordinary folder name in the work root', async (t) => {
  const { root } = fixture(t)
  const resolved = await resolveAccessPath({ path: '~/notes.txt', workRoot: root, mode: 'strict', roots: [root], forWrite: true })
  assert.equal(resolved.absPath, join(root, '~', 'notes.txt'))
  assert.equal(resolved.relativePath, '~/notes.txt')
})
