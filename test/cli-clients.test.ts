import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { findNodeAtLocation, parse, parseTree } from 'jsonc-parser'
import { cli, cliJson, scratch, type Scratch } from './support/cli-helpers.js'
import { CLI } from './support/mcp-helpers.js'

// Each client's file, an existing document with another server, settings and (for JSONC readers) comments, in an
// indentation of its own, and where our entry must appear.
const CLIENTS = [
  {
    client: 'cursor',
    file: (s: Scratch) => join(s.home, '.cursor', 'mcp.json'),
    key: ['mcpServers'],
    other: '{\n    "mcpServers": {\n        "github": {"command": "gh-mcp", "args": []}\n    }\n}\n',
  },
  {
    client: 'gemini',
    file: (s: Scratch) => join(s.home, '.gemini', 'settings.json'),
    key: ['mcpServers'],
    other: '{\n  // theme and servers\n  "theme": "GitHub",\n  "mcpServers": {\n    "github": { "command": "gh-mcp" }\n  }\n}\n',
  },
  {
    client: 'vscode',
    file: (s: Scratch) => join(s.home, '.config', 'Code', 'User', 'mcp.json'),
    key: ['servers'],
    other: '{\n\t"inputs": [],\n\t// the GitHub server\n\t"servers": {\n\t\t"github": { "type": "http", "url": "https://api.githubcopilot.com/mcp/" },\n\t},\n}\n',
  },
  {
    client: 'copilot',
    file: (s: Scratch) => join(s.home, '.copilot', 'mcp-config.json'),
    key: ['mcpServers'],
    other: '{"mcpServers": {"github": {"type": "http", "url": "https://example.test/mcp", "tools": ["*"]}}}\n',
  },
  {
    client: 'opencode',
    file: (s: Scratch) => join(s.home, '.config', 'opencode', 'opencode.json'),
    key: ['mcp'],
    other: '{\n  "$schema": "https://opencode.ai/config.json",\n  "mcp": {\n    "github": { "type": "local", "command": ["gh-mcp"], "enabled": true }\n  },\n  "model": "x/y"\n}\n',
  },
  {
    client: 'windsurf',
    file: (s: Scratch) => join(s.home, '.codeium', 'windsurf', 'mcp_config.json'),
    key: ['mcpServers'],
    other: '{\r\n  "mcpServers": {\r\n    "github": {"serverUrl": "https://example.test/mcp"}\r\n  }\r\n}\r\n',
  },
] as const

function at(doc: any, key: readonly string[]): any {
  return key.reduce((value, part) => value?.[part], doc)
}

/** The command line of an entry, whichever way the client spells it. */
function commandLine(entry: any): string[] {
  return Array.isArray(entry.command) ? entry.command : [entry.command, ...entry.args]
}

for (const { client, file, key, other } of CLIENTS) {
  test(`${client}: install adds our entry and keeps every other byte; a second run is unchanged; uninstall gives the file back`, async (t) => {
    const s = scratch(t)
    const path = file(s)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, other)
    const first = await cliJson(s, ['install', '--client', client])
    assert.equal(first.code, 0, first.stderr)
    assert.deepEqual(
      first.body.targets.map((target: any) => [target.client, target.action]),
      [[client, 'written']],
    )
    const after = readFileSync(path, 'utf8')
    const doc = parse(after)
    assert.deepEqual(commandLine(at(doc, key)['lockstep-mcp']), [process.execPath, CLI, 'server'])
    assert.deepEqual(at(doc, key).github, at(parse(other), key).github, 'the other server is kept')
    // the other server's text, and every comment, are still there byte for byte
    const github = findNodeAtLocation(parseTree(other)!, [...key, 'github'])!.parent!
    assert.ok(after.includes(other.slice(github.offset, github.offset + github.length)), 'the other entry keeps its bytes')
    for (const comment of other.match(/^\s*\/\/.*$/gm) ?? []) assert.ok(after.includes(comment), comment)
    assert.ok(after.startsWith(other.slice(0, github.offset)), 'everything before our entry is unchanged')
    const second = await cliJson(s, ['install', '--client', client])
    assert.equal(second.body.targets[0].action, 'unchanged')
    assert.equal(readFileSync(path, 'utf8'), after)
    const removed = await cliJson(s, ['uninstall', '--client', client])
    assert.equal(removed.body.targets[0].action, 'removed')
    assert.equal(readFileSync(path, 'utf8'), other, 'uninstall restores the original bytes')
  })
}

test('install with no client named writes to every client found here, and status lists every client', async (t) => {
  const s = scratch(t)
  mkdirSync(join(s.home, '.cursor'))
  mkdirSync(join(s.home, '.gemini'))
  const result = await cliJson(s, ['install'])
  assert.equal(result.code, 0, result.stderr)
  assert.equal(result.body.selection, 'found')
  assert.deepEqual(
    result.body.targets.map((target: any) => target.client),
    ['cursor', 'gemini'],
  )
  assert.equal(existsSync(join(s.home, '.claude.json')), false, 'a client not found here is left alone')
  const status = await cliJson(s, ['status'])
  const rows = status.body.clients.filter((row: any) => row.scope === 'user')
  assert.deepEqual(
    rows.map((row: any) => row.client),
    ['claude', 'codex', 'cursor', 'gemini', 'vscode', 'copilot', 'opencode', 'windsurf'],
  )
  assert.deepEqual(
    rows.filter((row: any) => row.state === 'ok').map((row: any) => row.client),
    ['cursor', 'gemini'],
  )
})

test("install --all --scope project writes each client's project file with npx, and nothing machine-specific", async (t) => {
  const s = scratch(t)
  const result = await cliJson(s, ['install', '--all', '--scope', 'project'])
  assert.equal(result.code, 0, result.stderr)
  const files = result.body.targets.map((target: any) => target.file.slice(s.project.length + 1))
  assert.deepEqual(files, ['.mcp.json', '.codex/config.toml', '.cursor/mcp.json', '.gemini/settings.json', '.vscode/mcp.json', 'opencode.json'])
  const vscode = parse(readFileSync(join(s.project, '.vscode', 'mcp.json'), 'utf8'))
  assert.equal(vscode.servers['lockstep-mcp'].command, 'npx')
  const opencode = parse(readFileSync(join(s.project, 'opencode.json'), 'utf8'))
  assert.equal(opencode.mcp['lockstep-mcp'].command[0], 'npx')
  for (const target of result.body.targets) assert.ok(!readFileSync(target.file, 'utf8').includes(s.home), `${target.file} names no home path`)
})

test('an unknown client is a usage error naming the closest one', async (t) => {
  const s = scratch(t)
  const result = await cli(s, ['install', '--client', 'gemni'])
  assert.equal(result.code, 2)
  assert.match(result.stderr, /^error \[INVALID_INPUT\]: .*gemini/m)
  const projectOnly = await cli(s, ['install', '--client', 'windsurf', '--scope', 'project'])
  assert.equal(projectOnly.code, 2)
})
