import assert from 'node:assert/strict'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { CLI, startAgent, type McpAgent } from './support/mcp-helpers.js'
import { runNode, tempDir } from './support/helpers.js'

// run `npm run build` first: these tests start the built CLI and attack it as an agent would, through its tools

const posixOnly = process.platform === 'win32' ? 'the planted scripts are sh scripts' : false

interface Setup {
  agent: McpAgent
  repo: string
  marker: string
}

/** A strict, allowlisted server and an agent that has planted x.sh and evil.cjs, each writing a marker outside the roots. */
async function setup(t: TestContext, allow: string, commandMode = 'allowlist'): Promise<Setup> {
  const home = tempDir(t, 'lockstep-allow-')
  const repo = join(home, 'repo')
  const outside = join(home, 'outside')
  mkdirSync(repo)
  mkdirSync(outside)
  const marker = join(outside, 'marker')
  const args = ['--mode', 'strict', '--roots', repo, '--command-mode', commandMode, '--command-allow', allow, '--tools', 'all']
  const agent = await startAgent(t, { home, cwd: repo, args })
  await agent.ok('file_write', { path: 'x.sh', content: `echo pwned > ${marker}\n` })
  await agent.ok('file_write', { path: 'evil.cjs', content: `require('fs').writeFileSync(${JSON.stringify(marker)}, 'pwned')\n` })
  return { agent, repo, marker }
}

const GIT_ATTACKS: [string, Record<string, unknown>][] = [
  ['-c with a ! alias', { command: 'git -c "alias.x=!sh x.sh" x' }],
  ['-c glued to its value', { command: 'git "-calias.x=!sh x.sh" x' }],
  ['--config-env', { command: 'git --config-env=alias.x=EVIL x', env: { EVIL: '!sh x.sh' } }],
  ['GIT_CONFIG_* in env', { command: 'git x', env: { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'alias.x', GIT_CONFIG_VALUE_0: '!sh x.sh' } }],
  ['GIT_CONFIG_PARAMETERS in env', { command: 'git x', env: { GIT_CONFIG_PARAMETERS: "'alias.x'='!sh x.sh'" } }],
  ['--upload-pack', { command: 'git ls-remote "--upload-pack=sh x.sh" .' }],
  ['an abbreviated --upload-pack', { command: 'git ls-remote "--upload-p=sh x.sh" .' }],
  ['-u as upload-pack', { command: 'git ls-remote -u "sh x.sh" .' }],
  ['--receive-pack', { command: 'git push "--receive-pack=sh x.sh" . HEAD' }],
  ['--exec-path', { command: 'git --exec-path=. x' }],
  ['git config writing an alias', { command: 'git config alias.x "!sh x.sh"' }],
  ['rebase --exec', { command: 'git rebase --exec "sh x.sh" HEAD' }],
  ['difftool --extcmd', { command: 'git difftool -x "sh x.sh"' }],
  ['bisect run', { command: 'git bisect run sh x.sh' }],
  ['submodule foreach', { command: 'git submodule foreach "sh x.sh"' }],
  ['GIT_SSH_COMMAND', { command: 'git ls-remote ssh://localhost/x', env: { GIT_SSH_COMMAND: 'sh x.sh' } }],
  ['HOME with a planted .gitconfig', { command: 'git x', env: { HOME: '.' } }],
  ['EDITOR', { command: 'git commit --allow-empty', env: { EDITOR: 'sh x.sh' } }],
]

test('allowlist git: options and env that run another program are refused, and nothing runs', { skip: posixOnly, timeout: 60_000 }, async (t) => {
  const { agent, marker } = await setup(t, 'git')
  await agent.ok('command_run', { command: 'git init -q' })
  for (const [label, args] of GIT_ATTACKS) {
    const reply = await agent.call('command_run', args)
    assert.equal(reply.code, 'FORBIDDEN', label)
    assert.equal(existsSync(marker), false, label)
  }
  // what git is for still works
  const status = await agent.ok('command_run', { command: 'git status --short' })
  assert.equal(status.exitCode, 0)
  const read = await agent.ok('command_run', { command: 'git config --get core.bare' })
  assert.equal(read.stdout.trim(), 'false')
})

test('allowlist git: a planted bare repository with a ! alias is not used as a repository', { skip: posixOnly, timeout: 60_000 }, async (t) => {
  const { agent, marker } = await setup(t, 'git')
  await agent.ok('file_write', { path: 'fake/HEAD', content: 'ref: refs/heads/main\n', createDirs: true })
  await agent.ok('file_write', { path: 'fake/config', content: '[core]\n\tbare = true\n[alias]\n\tx = !sh ../x.sh\n' })
  await agent.ok('file_write', { path: 'fake/objects/keep', content: '', createDirs: true })
  await agent.ok('file_write', { path: 'fake/refs/keep', content: '', createDirs: true })
  const ran = await agent.ok('command_run', { command: 'git x', cwd: 'fake' })
  assert.notEqual(ran.exitCode, 0)
  assert.equal(existsSync(marker), false)
})

test('open command mode: the same git -c alias does run (the hole the allowlist closes)', { skip: posixOnly, timeout: 60_000 }, async (t) => {
  const { agent, marker } = await setup(t, 'git', 'open')
  await agent.ok('command_run', { command: 'git -c "alias.x=!sh x.sh" x' })
  assert.equal(existsSync(marker), true)
})

test('allowlist npm: NODE_OPTIONS, npm config env, exec and --node-options are refused in command_run and tool_install', { skip: posixOnly, timeout: 60_000 }, async (t) => {
  const { agent, repo, marker } = await setup(t, 'npm')
  const preload = { NODE_OPTIONS: `--require ${join(repo, 'evil.cjs')}` }
  const attacks: [string, string, Record<string, unknown>][] = [
    ['NODE_OPTIONS', 'command_run', { command: 'npm --version', env: preload }],
    ['node_options in lower case', 'command_run', { command: 'npm --version', env: { node_options: preload.NODE_OPTIONS } }],
    ['npm_config_node_options', 'command_run', { command: 'npm --version', env: { npm_config_node_options: preload.NODE_OPTIONS } }],
    ['NODE_PATH', 'command_run', { command: 'npm --version', env: { NODE_PATH: repo } }],
    ['--node-options', 'command_run', { command: `npm "--node-options=--require ${join(repo, 'evil.cjs')}" --version` }],
    ['npm exec', 'command_run', { command: 'npm exec -- node evil.cjs' }],
    ['npm x', 'command_run', { command: 'npm x node evil.cjs' }],
    ['npm config set', 'command_run', { command: `npm config set "node-options=--require ${join(repo, 'evil.cjs')}"` }],
    ['tool_install with NODE_OPTIONS', 'tool_install', { manager: 'npm', args: ['--version'], env: preload }],
    ['tool_install npm exec', 'tool_install', { manager: 'npm', args: ['exec', '--', 'node', 'evil.cjs'] }],
    ['tool_install --node-options', 'tool_install', { manager: 'npm', args: [`--node-options=--require ${join(repo, 'evil.cjs')}`, '--version'] }],
  ]
  for (const [label, tool, args] of attacks) {
    const reply = await agent.call(tool, args)
    assert.equal(reply.code, 'FORBIDDEN', label)
    assert.equal(existsSync(marker), false, label)
  }
  const version = await agent.ok('command_run', { command: 'npm --version' })
  assert.match(version.stdout, /^\d+\.\d+/)
})

test('open command mode: NODE_OPTIONS in env runs agent-written code inside npm (the hole the allowlist closes)', { skip: posixOnly, timeout: 60_000 }, async (t) => {
  const { agent, repo, marker } = await setup(t, 'npm', 'open')
  await agent.ok('command_run', { command: 'npm --version', env: { NODE_OPTIONS: `--require ${join(repo, 'evil.cjs')}` } })
  assert.equal(existsSync(marker), true)
  rmSync(marker)
})

test('status_get says which allowed programs run anything', { timeout: 60_000 }, async (t) => {
  const withNode = await setup(t, 'git,node')
  const status = await withNode.agent.ok('status_get')
  assert.deepEqual(status.config.command.runsAnything, ['node'])
  assert.equal(typeof status.config.command.warning, 'string')
  const gitOnly = await setup(t, 'git')
  const plain = await gitOnly.agent.ok('status_get')
  assert.deepEqual(plain.config.command, { mode: 'allowlist', allow: ['git'] })
})

test('lockstep-mcp status reports an allowlist that names an interpreter as a problem', { timeout: 60_000 }, async (t) => {
  const home = tempDir(t, 'lockstep-allow-status-')
  const env = { HOME: home, LOCKSTEP_HOME: join(home, 'lh'), LOCKSTEP_COMMAND_MODE: 'allowlist' }
  const status = async (allow: string) => JSON.parse((await runNode([CLI, 'status', '--json'], { cwd: home, env: { ...env, LOCKSTEP_COMMAND_ALLOW: allow } })).stdout)
  const withNode = await status('git,node')
  assert.deepEqual(withNode.problems.filter((problem: any) => problem.kind === 'allowlist_interpreter').length, 1)
  const gitOnly = await status('git')
  assert.deepEqual(
    gitOnly.problems.filter((problem: any) => problem.kind === 'allowlist_interpreter'),
    [],
  )
})
