import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { Guard } from '../lib/dashboard/request-guard.js'
import { listenWithFallback } from '../lib/launch/dashboard-discovery.js'
import { createWorktree } from '../lib/git/index.js'
import { commitAll, git } from './support/git-helpers.js'
import { CLI, startAgent } from './support/mcp-helpers.js'
import { runNode, waitGone } from './support/helpers.js'
import { dashboardFor, docOnDisk, fixture, holdPortPair, populate, rawRequest, spawnDashboard, subscribe, taskOnDisk } from './support/dashboard-helpers.js'

const json = (token: string, origin: string) => ({ Authorization: `Bearer ${token}`, Origin: origin })
const getJson = async (url: string | URL): Promise<any> => (await fetch(url)).json()

test('the API shows tasks, locks, notes, agents and discussions written by server processes', { timeout: 120_000 }, async (t) => {
  const fx = fixture(t)
  const team = await populate(t, fx)
  const dashboard = await dashboardFor(t, fx)
  const projects = await getJson(`${dashboard.base}/api/projects`)
  assert.equal(projects.projects.length, 1)
  const id = projects.projects[0].id
  assert.equal(projects.selected, id)
  assert.equal(projects.projects[0].counts.review, 1)
  const view = await getJson(`${dashboard.base}/api/projects/${id}`)
  const status = Object.fromEntries(view.tasks.map((task: any) => [task.id, task.status]))
  assert.deepEqual(status, { [team.ids.review]: 'review', [team.ids.waiting]: 'todo', [team.ids.progress]: 'in_progress', [team.ids.done]: 'done', [team.ids.blocked]: 'blocked' })
  assert.deepEqual(view.tasks.find((task: any) => task.id === team.ids.waiting).blockedBy, [team.ids.review])
  assert.ok(
    view.locks.some((lock: any) => lock.id === team.lockId && lock.owner === 'impl-2'),
    JSON.stringify(view.locks),
  )
  assert.equal(view.project.status, 'in_progress')
  assert.equal(view.project.context.acceptanceCriteria.length, 3)
  const impl2 = view.agents.find((agent: any) => agent.name === 'impl-2')
  assert.equal(impl2.liveness, 'alive')
  assert.deepEqual(
    impl2.currentTasks.map((task: any) => task.id),
    [team.ids.progress],
  )
  assert.ok(view.notes.some((note: any) => note.author === 'impl-1'))
  assert.equal(view.discussions[0].messages.length, 2)
  assert.deepEqual(
    view.artifacts.map((artifact: any) => artifact.name),
    ['design/report-columns.md'],
  )
  const worktrees = await getJson(`${dashboard.base}/api/projects/${id}/worktrees`)
  assert.deepEqual(worktrees.worktrees, [])
  assert.equal((await fetch(`${dashboard.base}/api/projects/nope-12345678`)).status, 404)
})

test('a change made by another process reaches SSE subscribers', { timeout: 120_000 }, async (t) => {
  const fx = fixture(t)
  const agent = await startAgent(t, { home: fx.home, cwd: fx.repo })
  await agent.ok('coordination_init', { role: 'planner' })
  const dashboard = await dashboardFor(t, fx)
  const events = await subscribe(t, `${dashboard.base}/api/events`)
  await events.next((event) => event.event === 'ready', 5000)
  const started = Date.now()
  await agent.ok('note_append', { text: 'hello dashboard' })
  const change = await events.next((event) => event.event === 'change' && event.data.changed.includes('notes'), 10_000)
  const written = statSync(join(fx.dataDir, 'projects', change.data.project, 'journal.jsonl')).mtimeMs
  t.diagnostic(`SSE latency: ${Math.round(change.at - written)} ms after the write, ${change.at - started} ms after the call started`)
  assert.ok(change.at - written < 2000)
  const created = await agent.ok('task_create', { title: 'Later', complexity: 'simple' })
  const tasksChange = await events.next((event) => event.event === 'change' && event.data.changed.includes('tasks'), 10_000)
  assert.equal(tasksChange.data.project, change.data.project)
  assert.ok(created.id)
})

test('actions without the token, from another origin or through a foreign Host are refused and change nothing', { timeout: 120_000 }, async (t) => {
  const fx = fixture(t)
  const team = await populate(t, fx)
  const dashboard = await dashboardFor(t, fx)
  const { token, port } = dashboard.info
  const id = (await getJson(`${dashboard.base}/api/projects`)).projects[0].id
  const path = `/api/projects/${id}/actions/approve`
  const body = { id: team.ids.review }
  const own = `http://127.0.0.1:${port}`
  const refused: { headers: Record<string, string> }[] = [
    { headers: { Origin: own } },
    { headers: { Origin: own, Authorization: 'Bearer wrong-token-wrong-token-wrong-token' } },
    { headers: { Authorization: `Bearer ${token}` } },
    { headers: json(token, 'http://evil.example') },
    { headers: json(token, `http://127.0.0.1:${port + 1}`) },
    { headers: { ...json(token, own), Host: `evil.example:${port}` } },
    { headers: { ...json(token, `http://evil.example:${port}`), Host: `evil.example:${port}` } },
  ]
  for (const attempt of refused) {
    const reply = await rawRequest(dashboard.base, path, { method: 'POST', headers: attempt.headers, body })
    assert.equal(reply.status, 403, JSON.stringify(attempt.headers))
    assert.equal(reply.body.error.code, 'FORBIDDEN')
  }
  assert.equal((await rawRequest(dashboard.base, `/api/projects/${id}`, { headers: { Host: `evil.example:${port}` } })).status, 403)
  assert.equal((await rawRequest(dashboard.base, '/', { headers: { Host: 'rebound.example' } })).status, 403)
  assert.equal((await taskOnDisk(fx, team.ids.review)).status, 'review')
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) {
    assert.equal((await rawRequest(dashboard.base, `/api/projects/${id}`, { headers: { Host: host } })).status, 200)
  }
})

test('actions with the token from the page run as human and change the store', { timeout: 120_000 }, async (t) => {
  const fx = fixture(t)
  const team = await populate(t, fx)
  const dashboard = await dashboardFor(t, fx)
  const id = (await getJson(`${dashboard.base}/api/projects`)).projects[0].id
  const headers = json(dashboard.info.token, `http://127.0.0.1:${dashboard.info.port}`)
  const act = (name: string, body: unknown) => rawRequest(dashboard.base, `/api/projects/${id}/actions/${name}`, { method: 'POST', headers, body })

  assert.equal((await act('approve', { id: team.ids.review, feedback: 'Looks right' })).status, 200)
  assert.equal((await taskOnDisk(fx, team.ids.review)).status, 'done')
  assert.equal((await taskOnDisk(fx, team.ids.review)).approvedBy, 'human')
  assert.equal((await act('release-lock', { id: team.lockId })).status, 200)
  const lock = (await docOnDisk(fx, 'locks')).history.find((item: any) => item.id === team.lockId)
  assert.deepEqual([lock.status, lock.releaseReason, lock.releasedBy], ['resolved', 'forced', 'human'])
  assert.equal((await act('reassign', { id: team.ids.progress, owner: 'impl-1' })).status, 200)
  assert.equal((await taskOnDisk(fx, team.ids.progress)).owner, 'impl-1')
  assert.equal((await act('return-to-todo', { id: team.ids.progress })).status, 200)
  assert.deepEqual([(await taskOnDisk(fx, team.ids.progress)).status, (await taskOnDisk(fx, team.ids.progress)).owner], ['todo', undefined])
  assert.equal((await act('set-status', { status: 'stopped' })).status, 200)
  assert.equal((await docOnDisk(fx, 'project')).status, 'stopped')

  const codes = [
    [await act('approve', { id: team.ids.waiting }), 409, 'CONFLICT'],
    [await act('approve', { id: 'task-missing0' }), 404, 'NOT_FOUND'],
    [await act('request-changes', { id: team.ids.waiting }), 400, 'INVALID_INPUT'],
    [await act('set-status', { status: 'sideways' }), 400, 'INVALID_INPUT'],
    [await act('no-such-action', {}), 404, 'NOT_FOUND'],
  ] as const
  for (const [reply, status, code] of codes) assert.deepEqual([reply.status, reply.body.error.code], [status, code])
  const raw = await rawRequest(dashboard.base, `/api/projects/${id}/actions/approve`, { method: 'POST', headers: { ...headers, 'Content-Type': 'text/plain' } })
  assert.equal(raw.status, 400)
})

test('the Host and Origin rules of the guard', () => {
  const loop = new Guard('127.0.0.1', 8787, 'x'.repeat(43))
  const req = (headers: Record<string, string>) => ({ headers }) as never
  assert.equal(loop.readsNeedToken, false)
  for (const host of ['127.0.0.1:8787', 'localhost:8787', '[::1]:8787', 'LOCALHOST:8787']) assert.equal(loop.hostAllowed(req({ host })), true, host)
  for (const host of ['127.0.0.1:8788', 'evil.example:8787', 'localhost', '']) assert.equal(loop.hostAllowed(req({ host })), false, host)
  assert.equal(loop.originAllowed(req({ origin: 'http://localhost:8787' })), true)
  for (const origin of ['null', 'https://127.0.0.1:8787', 'http://127.0.0.1:8787.evil.example']) assert.equal(loop.originAllowed(req({ origin })), false, origin)
  assert.equal(loop.hasToken(req({ 'x-lockstep-token': 'x'.repeat(43) })), true)
  assert.equal(loop.hasToken(req({ authorization: `Bearer ${'x'.repeat(42)}` })), false)
  const lan = new Guard('192.168.1.20', 8787, 'x'.repeat(43))
  assert.equal(lan.readsNeedToken, true)
  assert.equal(lan.hostAllowed(req({ host: 'localhost:8787' })), false)
  assert.equal(lan.hostAllowed(req({ host: '192.168.1.20:8787' })), true)
})

test('a second dashboard for the same data folder prints the same URL; stopping removes dashboard.json', { timeout: 60_000 }, async (t) => {
  const fx = fixture(t)
  const first = await spawnDashboard(t, fx, ['--port', '0'])
  assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/)
  const second = await runNode([CLI, 'dashboard', '--port', '0'], { env: { LOCKSTEP_HOME: fx.dataDir }, cwd: fx.repo })
  assert.equal(second.code, 0)
  assert.equal(second.stdout.trim(), first.url)
  assert.equal(JSON.parse(readFileSync(join(fx.dataDir, 'dashboard.json'), 'utf8')).pid, first.pid)
  await first.stop()
  assert.equal(existsSync(join(fx.dataDir, 'dashboard.json')), false)
})

test('a port held by another program moves the dashboard to the next free port', { timeout: 60_000 }, async (t) => {
  const fx = fixture(t)
  const taken = await holdPortPair(t)
  if (taken === null) return t.skip('no two free ports in 8787–8799 on this machine')
  // in process first: the window between finding taken+1 free and binding it is too short for another program
  const server = createServer()
  t.after(() => void server.close())
  assert.equal(await listenWithFallback(server, '127.0.0.1', taken), taken + 1)
  server.close()
  const dashboard = await spawnDashboard(t, fx, ['--port', String(taken)])
  assert.notEqual(new URL(dashboard.url).port, String(taken))
  assert.equal((await getJson(new URL('/api/health', dashboard.url))).dataDir, fx.dataDir)
  await dashboard.stop()
})

test('dashboard_open starts the dashboard once, then reuses it', { timeout: 60_000 }, async (t) => {
  const fx = fixture(t)
  const planner = await startAgent(t, { home: fx.home, cwd: fx.repo })
  await planner.ok('coordination_init', { role: 'planner' })
  let pid = 0
  t.after(() => void (pid && process.kill(pid, 'SIGTERM')))
  const first = await planner.ok('dashboard_open', { open: false })
  assert.deepEqual([first.success, first.reused, first.opened], [true, false, false])
  pid = JSON.parse(readFileSync(join(fx.dataDir, 'dashboard.json'), 'utf8')).pid
  assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+\/\?project=repo-[0-9a-f]{8}#token=/)
  const second = await planner.ok('dashboard_open', { open: false })
  assert.deepEqual([second.reused, second.url], [true, first.url])
  const health = await getJson(new URL('/api/health', first.url))
  assert.equal(health.dataDir, fx.dataDir)
})

test('the worktrees view shows each lockstep worktree with ahead/behind against the main branch', { timeout: 60_000 }, async (t) => {
  const fx = fixture(t)
  git(fx.repo, 'init', '-q', '-b', 'main')
  writeFileSync(join(fx.repo, 'README.md'), 'hello\n')
  commitAll(fx.repo, 'initial')
  const created = await createWorktree({ root: fx.repo, name: 'impl-1' })
  writeFileSync(join(created.path, 'src.txt'), 'work\n')
  commitAll(created.path, 'work in the worktree')
  const agent = await startAgent(t, { home: fx.home, cwd: fx.repo })
  await agent.ok('coordination_init', { role: 'planner' })
  const dashboard = await dashboardFor(t, fx)
  const id = (await getJson(`${dashboard.base}/api/projects`)).projects[0].id
  const { worktrees } = await getJson(`${dashboard.base}/api/projects/${id}/worktrees`)
  assert.equal(worktrees.length, 1)
  assert.deepEqual([worktrees[0].name, worktrees[0].branch, worktrees[0].ahead, worktrees[0].behind, worktrees[0].exists], ['impl-1', 'lockstep/impl-1', 1, 0, true])
})

test("a gone agent's lock is shown as being reclaimed, and the dashboard itself frees it after the grace period", { timeout: 60_000 }, async (t) => {
  const fx = fixture(t)
  const impl = await startAgent(t, { home: fx.home, cwd: fx.repo })
  await impl.ok('coordination_init', { role: 'implementer', name: 'impl-1' })
  await impl.ok('lock_acquire', { path: 'src/a.ts' })
  const dashboard = await dashboardFor(t, fx, { settings: { graceSec: 5 } })
  const id = (await getJson(`${dashboard.base}/api/projects`)).projects[0].id
  const first = await getJson(`${dashboard.base}/api/projects/${id}`)
  assert.equal(first.locks[0].reclaiming, undefined, 'a live holder simply holds its lock')
  process.kill(impl.pid, 'SIGKILL')
  assert.ok(await waitGone(impl.pid))
  // until the test process reaps it, the killed server is a zombie, which still counts as running
  let gone = await getJson(`${dashboard.base}/api/projects/${id}`)
  for (let i = 0; i < 40 && !gone.locks[0]?.reclaiming; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    gone = await getJson(`${dashboard.base}/api/projects/${id}`)
  }
  assert.deepEqual(
    gone.locks.map((lock: any) => [lock.path, lock.owner, lock.reclaiming]),
    [['src/a.ts', 'impl-1', true]],
  )
  // no agent's server runs any more: only the dashboard can reclaim
  let locks = gone.locks
  for (let i = 0; i < 40 && locks.length; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500))
    locks = (await getJson(`${dashboard.base}/api/projects/${id}`)).locks
  }
  assert.deepEqual(locks, [])
  assert.equal((await docOnDisk(fx, 'locks')).history[0].releaseReason, 'holder_gone')
})
