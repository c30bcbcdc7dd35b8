import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { claudeUserFile, cli, cliJson, readJson, scratch } from './support/cli-helpers.js'
import { CLI } from './support/mcp-helpers.js'

const hasTmux = spawnSync('tmux', ['-V']).status === 0

test('install --npx warns when that version is not on the registry, and names the entry that works here', async (t) => {
  const s = scratch(t)
  // a registry that knows no lockstep-mcp
  const registry = createServer((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}'))
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve))
  t.after(() => registry.close())
  const env = { npm_config_offline: 'false', npm_config_registry: `http://127.0.0.1:${(registry.address() as { port: number }).port}/` }
  for (const args of [
    ['install', '--npx', '--client', 'claude'],
    ['install', '--scope', 'project', '--client', 'claude'],
  ]) {
    const result = await cliJson(s, args, { env })
    assert.equal(result.code, 0, result.stderr)
    const [target] = result.body.targets
    assert.equal(target.entry.command, 'npx')
    assert.equal(target.warnings.length, 1, args.join(' '))
    assert.ok(target.warnings[0].includes(`${process.execPath} ${CLI} server`), 'the warning names the command that works here')
  }
  const permanent = await cliJson(s, ['install', '--client', 'claude'], { env })
  assert.deepEqual(permanent.body.targets[0].warnings, [], 'a permanent entry needs no registry')
})

test('server --http prints the address and an install line that registers a client which can call it', { timeout: 30_000 }, async (t) => {
  const s = scratch(t)
  const child = spawn(process.execPath, [CLI, 'server', '--http', '--port', '0', '--token', 'tok-0123456789'], { cwd: s.project, env: s.env })
  t.after(() => void child.kill('SIGKILL'))
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const deadline = Date.now() + 15_000
  let line: RegExpExecArray | null
  while (!(line = /lockstep-mcp (install --url (\S+) --token (\S+))/.exec(stderr))) {
    assert.ok(Date.now() < deadline && child.exitCode === null, `no install line: ${stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const installed = await cliJson(s, [...line[1]!.split(' '), '--client', 'claude'])
  assert.equal(installed.code, 0, installed.stderr)
  const entry = readJson(claudeUserFile(s)).mcpServers['lockstep-mcp']
  const client = new Client({ name: 'guidance-test', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(entry.url), { requestInit: { headers: entry.headers } }))
  t.after(() => client.close())
  assert.ok((await client.listTools()).tools.some((tool) => tool.name === 'coordination_init'))
})

test('tmux --dry-run prints the windows and starts nothing; a missing agent program is named, also without --dry-run', async (t) => {
  const s = scratch(t)
  const plan = await cliJson(s, ['tmux', '--dry-run', '--session', 'lockstep-dry', '--claude-cmd', 'node', '--codex-cmd', 'node'])
  assert.equal(plan.code, hasTmux ? 0 : 1)
  assert.deepEqual(
    plan.body.windows.map((window: any) => window.name),
    ['planner', 'impl-1', 'dashboard'],
  )
  assert.ok(plan.body.windows.every((window: any) => typeof window.command === 'string' && window.command.length > 0))
  assert.equal(spawnSync('tmux', ['has-session', '-t', '=lockstep-dry']).status === 0, false, 'no session was started')
  assert.equal(existsSync(join(s.lockstepHome, 'projects')), false, 'nothing was recorded')
  const missing = await cliJson(s, ['tmux', '--dry-run', '--session', 'lockstep-dry', '--claude-cmd', 'no-such-agent-xyz', '--codex-cmd', 'node'])
  assert.equal(missing.code, 1)
  assert.ok(missing.body.missing.some((item: string) => item.startsWith('no-such-agent-xyz')))
  if (!hasTmux) return
  const refused = await cli(s, ['tmux', '--no-attach', '--session', 'lockstep-missing', '--claude-cmd', 'no-such-agent-xyz', '--codex-cmd', 'node'])
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /^error \[UNAVAILABLE\]: .*no-such-agent-xyz/m)
  assert.equal(spawnSync('tmux', ['has-session', '-t', '=lockstep-missing']).status === 0, false, 'nothing was started')
})

test('macos --dry-run prints the windows on any platform', async (t) => {
  const s = scratch(t)
  const plan = await cliJson(s, ['macos', '--dry-run', '--claude-cmd', 'node', '--codex-cmd', 'node', '--no-dashboard'])
  assert.equal(plan.code, 0)
  assert.deepEqual(
    plan.body.windows.map((window: any) => window.name),
    ['planner', 'impl-1'],
  )
})
