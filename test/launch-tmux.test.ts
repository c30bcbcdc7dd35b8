import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { Store } from '../storage/store.js'
import { DOCUMENTS } from '../lib/state/schema.js'
import { makeRepo } from './support/git-helpers.js'
import { runNode, tempDir } from './support/helpers.js'
import { privateTmux, readJson, standInCommand, tmux, waitFor } from './support/launch-helpers.js'
import { CLI } from './support/mcp-helpers.js'

privateTmux()

function cli(args: string[], env: Record<string, string>, cwd: string) {
  return runNode([CLI, ...args], { env, cwd, timeoutMs: 60_000 })
}

async function agentsOf(home: string, repo: string) {
  const store = new Store({ dataDir: home, documents: DOCUMENTS })
  try {
    return (await store.read(store.project(repo), 'agents')).agents
  } finally {
    store.close()
  }
}

test('tmux starts a planner, a registered implementer and the dashboard in windows, then leaves a running session alone', async (t) => {
  const repo = makeRepo(t)
  const home = tempDir(t)
  const out = tempDir(t)
  const env = { LOCKSTEP_HOME: home }
  const args = ['tmux', '--claude-cmd', standInCommand(join(out, 'planner'), '--idle'), '--codex-cmd', standInCommand(join(out, 'impl'), '--idle'), '--dashboard-port', '0']
  const first = await cli(args, env, repo)
  assert.equal(first.code, 0, first.stderr)
  assert.ok(first.stdout.includes('tmux attach -t lockstep'), 'not a terminal: the attach command is printed')
  const windows = () => tmux('list-windows', '-t', '=lockstep', '-F', '#{window_name}').split('\n')
  assert.deepEqual(windows(), ['planner', 'impl-1', 'dashboard'])

  const planner = await waitFor('the planner to start', () => readJson(join(out, 'planner.start.json')))
  assert.equal(planner.cwd, repo)
  assert.deepEqual([planner.env.LOCKSTEP_AGENT_NAME, planner.env.LOCKSTEP_TMUX_SESSION], ['planner', 'lockstep'])
  assert.equal(planner.argv.length, 1)
  assert.ok(planner.argv[0].includes('coordination_init({role: "planner"})'))
  const impl = await waitFor('the implementer to start', () => readJson(join(out, 'impl.start.json')))
  assert.equal(impl.env.LOCKSTEP_AGENT_NAME, 'impl-1')
  assert.ok(impl.argv[0].includes('name: "impl-1"'))

  const [agent] = await agentsOf(home, repo)
  assert.deepEqual([agent.name, agent.role, agent.type, agent.status, agent.launcher], ['impl-1', 'implementer', 'codex', 'active', 'tmux'])
  assert.equal(agent.tmux?.paneId, tmux('list-panes', '-t', '=lockstep:impl-1', '-F', '#{pane_id}'))
  assert.equal(agent.pid, Number(tmux('list-panes', '-t', '=lockstep:impl-1', '-F', '#{pane_pid}')))
  assert.equal(tmux('show-options', '-t', '=lockstep:', '-v', 'status-left'), '[lockstep]')
  assert.notEqual(tmux('show-options', '-g', '-v', 'status-left'), '[lockstep]', 'only session options are set')

  const again = await cli(args, env, repo)
  assert.equal(again.code, 0, again.stderr)
  assert.deepEqual(windows(), ['planner', 'impl-1', 'dashboard'])
  assert.equal((await agentsOf(home, repo)).length, 1)
})

test('tmux --layout panes splits the planner window and --no-prompts starts the agents without a prompt', async (t) => {
  const repo = makeRepo(t)
  const home = tempDir(t)
  const out = tempDir(t)
  const args = ['tmux', '--session', 'split', '--layout', 'panes', '--split', 'horizontal', '--no-prompts', '--no-dashboard', '--no-attach', '--repo', repo]
  const result = await cli([...args, '--claude-cmd', standInCommand(join(out, 'planner'), '--idle'), '--codex-cmd', standInCommand(join(out, 'impl'), '--idle')], { LOCKSTEP_HOME: home }, tempDir(t))
  assert.equal(result.code, 0, result.stderr)
  assert.equal(tmux('list-windows', '-t', '=split', '-F', '#{window_name}'), 'planner')
  const panes = tmux('list-panes', '-t', '=split:planner', '-F', '#{pane_id} #{pane_top}').split('\n')
  assert.equal(panes.length, 2)
  assert.notEqual(panes[0].split(' ')[1], panes[1].split(' ')[1], 'horizontal stacks the panes')
  const impl = await waitFor('the implementer to start', () => readJson(join(out, 'impl.start.json')))
  assert.deepEqual(impl.argv, [])
  assert.equal(impl.cwd, repo)
  const [agent] = await agentsOf(home, repo)
  assert.ok(panes.some((line) => line.startsWith(`${agent.tmux?.paneId} `)))
})

test('tmux without tmux, macos off macOS and bad flags fail with the documented exit codes', async (t) => {
  const repo = makeRepo(t)
  const env = { LOCKSTEP_HOME: tempDir(t), PATH: tempDir(t) }
  const missing = await cli(['tmux', '--no-attach'], env, repo)
  assert.equal(missing.code, 1)
  assert.match(missing.stderr, /^error \[UNAVAILABLE\]/)
  assert.equal((await agentsOf(env.LOCKSTEP_HOME, repo)).length, 0)
  if (process.platform !== 'darwin') {
    const macos = await cli(['macos'], env, repo)
    assert.equal(macos.code, 1)
    assert.match(macos.stderr, /^error \[UNAVAILABLE\]/)
  }
  assert.equal((await cli(['tmux', '--layout', 'grid'], { LOCKSTEP_HOME: env.LOCKSTEP_HOME }, repo)).code, 2)
})
