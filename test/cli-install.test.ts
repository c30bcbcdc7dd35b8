import { test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { claudeUserFile, cli, cliJson, codexUserFile, readJson, readToml, scratch, type Scratch } from './support/cli-helpers.js'
import { ROOT } from './support/helpers.js'
import { CLI } from './support/mcp-helpers.js'

const FIXTURES = join(ROOT, 'fixtures', 'client-configs')

function fixture(name: string, to: string): Buffer {
  mkdirSync(join(to, '..'), { recursive: true })
  copyFileSync(join(FIXTURES, name), to)
  return readFileSync(to)
}

function withoutServer(doc: any, table: string, name = 'lockstep-mcp'): any {
  const copy = structuredClone(doc)
  delete copy[table]?.[name]
  return copy
}

test('install writes a permanent entry for both clients at user scope, and a second run is unchanged', async (t) => {
  const s = scratch(t)
  const first = await cliJson(s, ['install'])
  assert.equal(first.code, 0)
  assert.deepEqual(
    first.body.targets.map((target: any) => [target.client, target.scope, target.action]),
    [
      ['claude', 'user', 'written'],
      ['codex', 'user', 'written'],
    ],
  )
  for (const target of first.body.targets) assert.deepEqual(Object.keys(target).slice(0, 5), ['client', 'scope', 'file', 'action', 'entry'])
  const claude = readJson(claudeUserFile(s)).mcpServers['lockstep-mcp']
  assert.deepEqual(claude, { type: 'stdio', command: process.execPath, args: [CLI, 'server'], env: {} })
  const codex = readToml(codexUserFile(s)).mcp_servers['lockstep-mcp']
  assert.equal(codex.command, process.execPath)
  assert.deepEqual(codex.args, [CLI, 'server'])
  assert.deepEqual(codex.env, {})
  assert.equal(codex.type, undefined)
  const bytes = [readFileSync(claudeUserFile(s)), readFileSync(codexUserFile(s))]
  const second = await cliJson(s, ['install'])
  assert.equal(second.code, 0)
  assert.deepEqual(
    second.body.targets.map((target: any) => target.action),
    ['unchanged', 'unchanged'],
  )
  assert.deepEqual([readFileSync(claudeUserFile(s)), readFileSync(codexUserFile(s))], bytes)
})

test('the command install writes starts the server: tools/list answers through it', { timeout: 60_000 }, async (t) => {
  const s = scratch(t)
  assert.equal((await cli(s, ['install', '--claude'])).code, 0)
  const entry = readJson(claudeUserFile(s)).mcpServers['lockstep-mcp']
  const transport = new StdioClientTransport({ command: entry.command, args: entry.args, env: { ...s.env, ...entry.env } as Record<string, string>, cwd: s.project, stderr: 'pipe' })
  const client = new Client({ name: 'install-check', version: '1.0.0' })
  await client.connect(transport)
  t.after(() => client.close())
  const { tools } = await client.listTools()
  assert.ok(tools.some((tool) => tool.name === 'coordination_init'))
})

test('install copies only the given server flags, in the order of the settings table', async (t) => {
  const s = scratch(t)
  const result = await cli(s, ['install', '--claude', '--lease-ttl', '120', '--mode=strict', '--roots', s.project, '--data-dir', join(s.home, 'data')])
  assert.equal(result.code, 0, result.stderr)
  const { args } = readJson(claudeUserFile(s)).mcpServers['lockstep-mcp']
  assert.deepEqual(args, [CLI, 'server', '--data-dir', join(s.home, 'data'), '--mode', 'strict', '--roots', s.project, '--lease-ttl', '120'])
})

test('install keeps every other entry and setting, and uninstall gives the files back', async (t) => {
  const s = scratch(t)
  const claudeBefore = fixture('claude-user.json', claudeUserFile(s))
  const codexBefore = fixture('codex-config.toml', codexUserFile(s))
  assert.equal((await cli(s, ['install'])).code, 0)
  assert.deepEqual(withoutServer(readJson(claudeUserFile(s)), 'mcpServers'), JSON.parse(claudeBefore.toString()))
  assert.deepEqual(withoutServer(readToml(codexUserFile(s)), 'mcp_servers'), readToml(join(FIXTURES, 'codex-config.toml')))
  assert.ok(readFileSync(codexUserFile(s), 'utf8').startsWith(codexBefore.toString()), 'the TOML file is only appended to')
  const removed = await cliJson(s, ['uninstall'])
  assert.equal(removed.code, 0)
  assert.deepEqual(
    removed.body.targets.map((target: any) => target.action),
    ['removed', 'removed'],
  )
  assert.deepEqual(readJson(claudeUserFile(s)), JSON.parse(claudeBefore.toString()))
  assert.deepEqual(readFileSync(codexUserFile(s)), codexBefore)
  const again = await cliJson(s, ['uninstall'])
  assert.equal(again.code, 0)
  assert.deepEqual(
    again.body.targets.map((target: any) => target.action),
    ['not found', 'not found'],
  )
})

test('project scope writes .mcp.json and .codex/config.toml with npx, and uninstall removes only ours', async (t) => {
  const s = scratch(t)
  const other = { mcpServers: { docs: { type: 'stdio', command: 'docs-mcp', args: [], env: {} } }, keep: true }
  writeFileSync(join(s.project, '.mcp.json'), JSON.stringify(other, null, 2) + '\n')
  const result = await cliJson(s, ['install', '--scope', 'project', '--dir', s.project], { cwd: s.home })
  assert.equal(result.code, 0)
  const claude = readJson(join(s.project, '.mcp.json'))
  assert.equal(claude.mcpServers['lockstep-mcp'].command, 'npx')
  assert.deepEqual(claude.mcpServers['lockstep-mcp'].args.slice(-1), ['server'])
  assert.deepEqual(claude.mcpServers.docs, other.mcpServers.docs)
  const codex = readToml(join(s.project, '.codex', 'config.toml')).mcp_servers['lockstep-mcp']
  assert.equal(codex.command, 'npx')
  assert.equal(JSON.stringify(readJson(join(s.project, '.mcp.json'))).includes(s.home), false, 'no machine path in a shared file')
  assert.equal(existsSync(claudeUserFile(s)), false, 'user scope untouched')
  assert.equal((await cli(s, ['uninstall', '--scope', 'project'])).code, 0)
  assert.deepEqual(readJson(join(s.project, '.mcp.json')), other)
  assert.equal(readToml(join(s.project, '.codex', 'config.toml')).mcp_servers?.['lockstep-mcp'], undefined)
})

test('--claude and --codex select the client; CLAUDE_CONFIG_DIR and CODEX_HOME choose the files', async (t) => {
  const s = scratch(t)
  const claudeDir = join(s.home, 'claude-config')
  const env = { CLAUDE_CONFIG_DIR: claudeDir }
  const claude = await cliJson(s, ['install', '--claude'], { env })
  assert.deepEqual(
    claude.body.targets.map((target: any) => target.client),
    ['claude'],
  )
  assert.ok(readJson(join(claudeDir, '.claude.json')).mcpServers['lockstep-mcp'])
  assert.equal(existsSync(codexUserFile(s)), false)
  const codex = await cliJson(s, ['install', '--codex'], { env })
  assert.deepEqual(
    codex.body.targets.map((target: any) => target.client),
    ['codex'],
  )
  assert.ok(readToml(codexUserFile(s)).mcp_servers['lockstep-mcp'])
})

for (const [client, name, file] of [
  ['claude', 'claude-broken.json', claudeUserFile],
  ['codex', 'codex-broken.toml', codexUserFile],
] as const) {
  test(`a ${client} config that does not parse fails that target with exit 1 and stays byte-identical`, async (t) => {
    const s: Scratch = scratch(t)
    const before = fixture(name, file(s))
    const result = await cliJson(s, ['install', '--client', 'claude', '--client', 'codex'])
    assert.equal(result.code, 1)
    const failed = result.body.targets.find((target: any) => target.client === client)
    assert.equal(failed.action, 'failed')
    assert.equal(failed.error.code, 'CONFLICT')
    assert.ok(
      result.body.targets.some((target: any) => target.client !== client && target.action === 'written'),
      'the other target still works',
    )
    assert.match(result.stderr, /^error \[CONFLICT\]: /m)
    assert.deepEqual(readFileSync(file(s)), before)
    const text = await cli(s, ['uninstall', `--${client}`])
    assert.equal(text.code, 1)
    assert.deepEqual(readFileSync(file(s)), before)
  })
}

test('--dry-run reports what would be written and writes nothing', async (t) => {
  const s = scratch(t)
  const result = await cliJson(s, ['install', '--dry-run'])
  assert.equal(result.code, 0)
  assert.equal(result.body.dryRun, true)
  assert.deepEqual(
    result.body.targets.map((target: any) => target.action),
    ['written', 'written'],
  )
  assert.ok(result.body.targets.every((target: any) => target.entry))
  const text = await cli(s, ['install', '--dry-run'])
  assert.equal(text.code, 0)
  assert.match(text.stdout, /lockstep-mcp/)
  assert.equal(existsSync(claudeUserFile(s)), false)
  assert.equal(existsSync(s.codexHome), false)
  await cli(s, ['install'])
  const bytes = readFileSync(claudeUserFile(s))
  assert.equal((await cli(s, ['uninstall', '--dry-run'])).code, 0)
  assert.deepEqual(readFileSync(claudeUserFile(s)), bytes)
})

test('an old lockstep entry that runs lockstep-mcp is replaced by install', async (t) => {
  const s = scratch(t)
  fixture('claude-old-entry.json', claudeUserFile(s))
  const result = await cliJson(s, ['install', '--claude'])
  assert.equal(result.code, 0)
  assert.deepEqual(result.body.targets[0].replaced, ['lockstep'])
  const servers = readJson(claudeUserFile(s)).mcpServers
  assert.equal(servers.lockstep, undefined)
  assert.ok(servers['lockstep-mcp'])
})
