import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { coordinationInit } from '../lib/agents/agents.js'
import { listLocks } from '../lib/locks/locks.js'
import { sweepProject } from '../lib/agents/sessions.js'
import { listTasks } from '../lib/tasks/task-queries.js'
import { createTask } from '../lib/tasks/tasks.js'
import { startAgent } from './support/mcp-helpers.js'
import { tempDir, testCtx, waitGone } from './support/helpers.js'

const HOUR = 3600_000

test('an idle agent whose server runs keeps its claim and locks past a short lease TTL; once it is gone they are reclaimed', async (t) => {
  const home = tempDir(t)
  const project = join(home, 'project')
  mkdirSync(project)
  const dataDir = join(home, '.lockstep-mcp')
  const planner = testCtx(t, { dataDir, cwd: project, settings: { leaseTtlSec: 60 } })
  await coordinationInit(planner, { role: 'planner' })
  const task = await createTask(planner, { title: 'A', complexity: 'medium', files: ['src/a.ts'] })
  const impl = await startAgent(t, { home, cwd: project, args: ['--lease-ttl', '60', '--grace', '5'] })
  await impl.ok('coordination_init', { role: 'implementer', name: 'impl-1' })
  await impl.ok('task_claim', { id: task.id })
  await impl.ok('lock_acquire', { path: 'docs/**' })

  // an observer two hours later: the agent made no call since, far past its 60 s TTL, but its server still runs
  let later = Date.now() + 2 * HOUR
  const observer = testCtx(t, { dataDir, cwd: project, now: () => new Date(later), settings: { leaseTtlSec: 60, graceSec: 5 } })
  await sweepProject(observer, project)
  assert.equal((await listTasks(observer, {})).tasks[0].owner, 'impl-1', 'the claim is kept')
  assert.deepEqual((await listLocks(observer, {})).map((lock: { path: string; owner?: string }) => [lock.path, lock.owner]).sort(), [
    ['docs/**', 'impl-1'],
    ['src/a.ts', 'impl-1'],
  ])

  const pid = impl.pid
  await impl.close()
  assert.ok(await waitGone(pid, 5000), 'the server exited')
  await sweepProject(observer, project) // records that the session is gone
  later += 10_000 // past the grace period
  await sweepProject(observer, project)
  const [after] = (await listTasks(observer, {})).tasks
  assert.equal(after.status, 'todo', 'a gone agent loses its claim after the grace period')
  assert.equal((await listLocks(observer, {})).length, 0)
})
