import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fixture, rawRequest, spawnDashboard } from './support/dashboard-helpers.js'
import { startAgent } from './support/mcp-helpers.js'

// run `npm run build` first: the dashboard is the built CLI

test('the built dashboard answers 404 for every Object.prototype name as an action, with a valid token and Origin', { timeout: 60_000 }, async (t) => {
  const fx = fixture(t)
  const agent = await startAgent(t, { home: fx.home, cwd: fx.repo, env: { LOCKSTEP_HOME: fx.dataDir } })
  await agent.ok('coordination_init', { role: 'planner' })
  const dashboard = await spawnDashboard(t, fx, ['--port', '0'])
  const url = new URL(dashboard.url)
  const token = url.hash.replace('#token=', '')
  const base = `${url.protocol}//${url.host}`
  const headers = { Authorization: `Bearer ${token}`, Origin: base }
  const id = (await rawRequest(base, '/api/projects')).body.projects[0].id
  // the action path works at all: a known action with a bad body is judged by the action, not the router
  const known = await rawRequest(base, `/api/projects/${id}/actions/approve`, { method: 'POST', headers, body: { id: 'task-missing0' } })
  assert.deepEqual([known.status, known.body.error.data.action], [404, undefined])
  const names = Object.getOwnPropertyNames(Object.prototype)
  assert.ok(names.includes('constructor') && names.includes('__proto__'))
  for (const name of names) {
    const reply = await rawRequest(base, `/api/projects/${id}/actions/${name}`, { method: 'POST', headers, body: {} })
    assert.deepEqual([name, reply.status, reply.body.error.code, reply.body.error.data.action], [name, 404, 'NOT_FOUND', name])
    const project = await rawRequest(base, `/api/projects/${name}`)
    assert.deepEqual([name, project.status], [name, 404])
  }
})
