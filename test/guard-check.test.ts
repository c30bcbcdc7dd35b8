import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { coordinationInit } from '../lib/agents/agents.js'
import { checkGuard } from '../lib/guard/guard.js'
import { openStore } from '../lib/state/open.js'
import { acquireLock } from '../lib/locks/locks.js'
import { editedPaths, guardReply } from '../lib/guard/guard-input.js'
import { sessionOfClient } from '../lib/core/ancestors.js'
import { git, makeRepo } from './support/git-helpers.js'
import { eventsOfType, peerCtx, tempDir, testCtx } from './support/helpers.js'

// the store a guard hook opens to record a decision (the hook command loads it the same way, on demand)
const open = (dataDir: string) => Promise.resolve(openStore(dataDir))

/** A project where impl-1 (a live session of this process) holds src/a.ts and the docs folder. */
async function lockedProject(t: Parameters<typeof tempDir>[0]) {
  const base = tempDir(t)
  const project = join(base, 'repo')
  mkdirSync(join(project, 'src'), { recursive: true })
  mkdirSync(join(project, 'docs'))
  writeFileSync(join(project, 'src', 'a.ts'), '')
  const dataDir = join(base, 'data')
  const holder = testCtx(t, { dataDir, cwd: project })
  await coordinationInit(holder, { role: 'implementer', name: 'impl-1' })
  await acquireLock(holder, { path: 'src/a.ts' })
  await acquireLock(holder, { path: 'docs/' })
  const host = (env: NodeJS.ProcessEnv = {}) => ({ env: { LOCKSTEP_HOME: dataDir, ...env }, cwd: project, ancestors: [], openStore: open })
  return { base, project, dataDir, holder, host }
}

const edit = (file_path: string, cwd?: string) => ({ tool_name: 'Edit', tool_input: { file_path }, ...(cwd ? { cwd } : {}) })

test("checkGuard refuses another agent's locked path however it is written, and lets the rest through", async (t) => {
  const s = await lockedProject(t)
  symlinkSync(join(s.project, 'src'), join(s.base, 'linked-src'))
  const refused = [join(s.project, 'src', 'a.ts'), './src/a.ts', 'src//a.ts', 'src/../src/a.ts', join(s.base, 'linked-src', 'a.ts'), 'docs/new/page.md']
  for (const path of refused) {
    const verdict = await checkGuard('claude', edit(path, s.project), s.host())
    assert.deepEqual(
      verdict.refused.map((item) => [item.path, item.holder]),
      [[path.startsWith('docs') ? 'docs/new/page.md' : 'src/a.ts', 'impl-1']],
      path,
    )
  }
  for (const path of ['src/b.ts', join(s.base, 'elsewhere.ts'), '../outside.ts']) {
    assert.equal((await checkGuard('claude', edit(path, s.project), s.host())).refused.length, 0, path)
  }
  const events = await eventsOfType(s.holder, 'guard.refused')
  assert.equal(events.length, refused.length, 'each refusal is an event')
  assert.deepEqual(events[0]!.data, { path: 'src/a.ts', holder: 'impl-1', editor: 'unknown', client: 'claude', lockPath: 'src/a.ts' })
})

test('the holder edits its own locked files: named by LOCKSTEP_AGENT_NAME or found through the client it shares with its server', async (t) => {
  const s = await lockedProject(t)
  const path = join(s.project, 'src', 'a.ts')
  assert.equal((await checkGuard('claude', edit(path), s.host({ LOCKSTEP_AGENT_NAME: 'impl-1' }))).refused.length, 0)
  const [session] = (await s.holder.store.read(s.holder.store.project(s.project), 'agents')).sessions
  assert.ok(session!.ancestors?.length, "coordination_init recorded the server's client chain")
  const viaClient = await checkGuard('claude', edit(path), { ...s.host(), ancestors: session!.ancestors! })
  assert.deepEqual([viaClient.editor, viaClient.refused.length], ['impl-1', 0])
  // another registered agent is refused, and named
  const other = peerCtx(s.holder)
  await coordinationInit(other, { role: 'implementer', name: 'impl-2' })
  const theirs = await checkGuard('gemini', { tool_name: 'write_file', tool_input: { file_path: path } }, s.host({ LOCKSTEP_AGENT_NAME: 'impl-2' }))
  assert.deepEqual([theirs.editor, theirs.refused.map((item) => item.holder)], ['impl-2', ['impl-1']])
})

test('a store that cannot be read lets the edit through and says why', async (t) => {
  const s = await lockedProject(t)
  const project = s.holder.store.project(s.project)
  writeFileSync(join(project.dir, 'locks.json'), '{ not json')
  const verdict = await checkGuard('claude', edit(join(s.project, 'src', 'a.ts')), s.host())
  assert.equal(verdict.refused.length, 0)
  assert.ok(verdict.passReason)
  const reply = guardReply(verdict, verdict.passReason!)
  assert.equal(reply.code, 0)
  assert.ok(JSON.parse(reply.stdout).systemMessage)
})

test('each client gets its own reply format; an allowed edit leaves its permission flow alone', () => {
  const refusal = { projectRoot: '/p', path: 'a', holder: 'impl-1', lockPath: 'a', expiresAt: '', message: 'LOCKED: a' }
  const denied = (client: 'claude' | 'codex' | 'gemini' | 'cursor' | 'git') => guardReply({ client, editor: null, refused: [refusal] }, null)
  assert.equal(JSON.parse(denied('claude').stdout).hookSpecificOutput.permissionDecision, 'deny')
  assert.equal(JSON.parse(denied('codex').stdout).hookSpecificOutput.permissionDecisionReason, 'LOCKED: a')
  assert.equal(JSON.parse(denied('gemini').stdout).decision, 'deny')
  assert.equal(JSON.parse(denied('cursor').stdout).permission, 'deny')
  assert.equal(denied('git').code, 1)
  for (const client of ['claude', 'codex', 'git'] as const) assert.equal(guardReply({ client, editor: null, refused: [] }, null).stdout, '')
})

test("edited paths come from each client's payload, apply_patch envelopes included", () => {
  const patch = '*** Begin Patch\n*** Update File: src/a.ts\n@@\n-x\n+y\n*** Add File: src/new.ts\n+z\n*** Update File: src/old.ts\n*** Move to: src/moved.ts\n*** End Patch\n'
  assert.deepEqual(editedPaths('codex', { tool_name: 'apply_patch', tool_input: { command: patch } }), ['src/a.ts', 'src/new.ts', 'src/old.ts', 'src/moved.ts'])
  assert.deepEqual(editedPaths('claude', { tool_name: 'NotebookEdit', tool_input: { notebook_path: '/p/n.ipynb' } }), ['/p/n.ipynb'])
  assert.deepEqual(editedPaths('cursor', { tool_name: 'Write', tool_input: JSON.stringify({ file_path: 'x.ts' }) }), ['x.ts'])
  assert.deepEqual(editedPaths('claude', {}), [])
})

test('sessionOfClient needs the client itself in common: a shared ancestor further up is not enough', () => {
  const sessions = [
    { agentId: 'a', ancestors: [100, 50, 10] },
    { agentId: 'b', ancestors: [200, 60, 10] },
  ]
  assert.equal(sessionOfClient([100, 50, 10], sessions)?.agentId, 'a')
  assert.equal(sessionOfClient([200, 60, 10], sessions)?.agentId, 'b')
  assert.equal(sessionOfClient([300, 70, 10], sessions), undefined, 'an unregistered client shares only the terminal')
  assert.equal(sessionOfClient([50, 10], sessions), undefined, "the client's parent is not the client")
})

test("the guard reclaims a gone holder's locks after the grace period, with no server running", async (t) => {
  const s = await lockedProject(t)
  const project = s.holder.store.project(s.project)
  const longAgo = new Date(Date.now() - 10 * 60_000).toISOString()
  await s.holder.store.transact(project, ['agents'], (docs) => {
    Object.assign(docs.agents.sessions[0]!, { endedAt: longAgo, goneAt: longAgo })
  })
  const verdict = await checkGuard('claude', edit(join(s.project, 'src', 'a.ts')), s.host())
  assert.equal(verdict.refused.length, 0, 'a holder gone past its grace period no longer binds')
  const locks = (await s.holder.store.read(project, 'locks')).history
  assert.deepEqual(
    locks.map((lock) => [lock.path, lock.status, lock.releaseReason]),
    [
      ['src/a.ts', 'resolved', 'holder_gone'],
      ['docs/**', 'resolved', 'holder_gone'],
    ],
  )
})

test('an implementer is recognised in the worktree it owns', async (t) => {
  const repo = makeRepo(t)
  const worktree = join(tempDir(t), 'wt-impl-2')
  git(repo, 'worktree', 'add', '-q', '-b', 'lockstep/impl-2', worktree)
  const dataDir = join(tempDir(t), 'data')
  const impl = testCtx(t, { dataDir, cwd: worktree })
  await coordinationInit(impl, { role: 'implementer', name: 'impl-2' })
  await acquireLock(impl, { path: 'src/a.ts' })
  await impl.store.transact(impl.store.project(repo), ['agents'], (docs) => {
    Object.assign(docs.agents.agents[0]!, { isolation: 'worktree', worktreePath: worktree })
  })
  const host = { env: { LOCKSTEP_HOME: dataDir }, cwd: repo, ancestors: [], openStore: open }
  const inWorktree = await checkGuard('claude', edit(join(worktree, 'src', 'a.ts')), host)
  assert.deepEqual([inWorktree.editor, inWorktree.refused.length], ['impl-2', 0])
  const inMain = await checkGuard('claude', edit(join(repo, 'src', 'a.ts')), host)
  assert.deepEqual(
    inMain.refused.map((item) => [item.path, item.holder]),
    [['src/a.ts', 'impl-2']],
    'the lock covers the path in every checkout',
  )
})
