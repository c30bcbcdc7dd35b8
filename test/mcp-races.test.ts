import { readStored } from './support/stored.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { startAgent, type McpAgent } from './support/mcp-helpers.js'
import { tempDir } from './support/helpers.js'

async function team(t: Parameters<typeof tempDir>[0], size: number) {
  const home = tempDir(t)
  const repo = join(home, 'repo')
  mkdirSync(repo)
  const planner = await startAgent(t, { home, cwd: repo })
  await planner.ok('coordination_init', { role: 'planner' })
  const agents = await Promise.all(Array.from({ length: size }, () => startAgent(t, { home, cwd: repo })))
  const inits = await Promise.all(agents.map((agent) => agent.ok('coordination_init', { role: 'implementer' })))
  assert.equal(new Set(inits.map((init) => init.agent.name)).size, size, 'default names are unique under concurrency')
  const storeDir = () => join(home, '.lockstep-mcp', 'projects', readdirSync(join(home, '.lockstep-mcp', 'projects'))[0])
  return { planner, agents, names: inits.map((init) => init.agent.name as string), storeDir }
}

test('8 server processes: one winner per task_claim, and task_claim_next hands out 40 tasks exactly once', { timeout: 180_000 }, async (t) => {
  const { planner, agents, names, storeDir } = await team(t, 8)
  const ids: string[] = []
  for (let i = 0; i < 45; i++) ids.push((await planner.ok('task_create', { title: `T${i}`, complexity: 'simple', files: [`src/f${i}.ts`] })).id)
  for (const id of ids.slice(0, 5)) {
    const replies = await Promise.all(agents.map((agent) => agent.call('task_claim', { id })))
    assert.equal(replies.filter((reply) => !reply.isError).length, 1, `one winner for ${id}`)
    assert.ok(replies.filter((reply) => reply.isError).every((reply) => reply.code === 'CONFLICT'))
  }
  const claimedBy = new Map<string, string>()
  await Promise.all(
    agents.map(async (agent: McpAgent, index) => {
      for (;;) {
        const next = await agent.ok('task_claim_next')
        if (!next.claimed) {
          assert.equal(next.reason, 'none_left')
          return
        }
        assert.equal(claimedBy.has(next.task.id), false, `${next.task.id} claimed twice`)
        claimedBy.set(next.task.id, names[index])
      }
    }),
  )
  assert.equal(claimedBy.size, 40)
  const tasks = (await readStored(storeDir(), 'tasks')).tasks
  for (const task of tasks.slice(5)) assert.equal(task.owner, claimedBy.get(task.id))
  const locks = (await readStored(storeDir(), 'locks')).locks.filter((lock: any) => lock.status === 'active')
  assert.equal(locks.length, 45)
  assert.equal(new Set(locks.map((lock: any) => lock.path)).size, 45, 'one holder per path')
})

test('8 server processes: a lock has at most one holder at a time, and no note is lost', { timeout: 180_000 }, async (t) => {
  const { agents, storeDir } = await team(t, 8)
  let holders = 0
  let maxHolders = 0
  let entries = 0
  await Promise.all(
    agents.map(async (agent, index) => {
      for (let round = 0; round < 4; round++) {
        const path = index % 2 ? 'src/shared.ts' : 'src/**'
        await agent.ok('lock_acquire', { path, waitMs: 60_000 })
        holders++
        entries++
        maxHolders = Math.max(maxHolders, holders)
        await new Promise((resolve) => setTimeout(resolve, 5))
        holders--
        await agent.ok('lock_release', { path })
      }
    }),
  )
  assert.equal(entries, 32)
  assert.equal(maxHolders, 1)
  await Promise.all(
    agents.map(async (agent, index) => {
      for (let i = 0; i < 25; i++) await agent.ok('note_append', { text: `note ${index}/${i}` })
    }),
  )
  const notes = (await readStored(storeDir(), 'notes')).notes.filter((note: any) => note.text.startsWith('note '))
  assert.equal(notes.length, 200)
  const seqs = notes.map((note: any) => note.seq)
  assert.equal(new Set(seqs).size, 200)
})
