import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parse } from 'jsonc-parser'
import { planJsonInstall, planJsonUninstall } from '../lib/clients/json-config.js'
import { closest } from '../lib/core/suggest.js'

const ENTRY = { command: '/usr/bin/node', args: ['/opt/lockstep/dist/cli.js', 'server'], env: {} }

// [what, file text]: every one already has a server table, so uninstall must give back the very same bytes
const ROUND_TRIPS: [string, string][] = [
  ['empty table', '{\n  "mcpServers": {}\n}\n'],
  ['one line', '{"mcpServers": {"gh": {"command": "gh"}}}'],
  ['4 spaces', '{\n    "mcpServers": {\n        "gh": {\n            "command": "gh"\n        }\n    }\n}\n'],
  ['tabs', '{\n\t"mcpServers": {\n\t\t"gh": { "command": "gh" }\n\t}\n}\n'],
  ['CRLF', '{\r\n  "x": 1,\r\n  "mcpServers": {\r\n    "gh": { "command": "gh" }\r\n  }\r\n}\r\n'],
  ['comments and trailing commas', '{\n  // servers\n  "mcpServers": {\n    "gh": { "command": "gh" }, // GitHub\n  },\n  /* end */\n}\n'],
  ['BOM', '\uFEFF{\n  "mcpServers": {\n    "gh": { "command": "gh" }\n  }\n}\n'],
]

for (const [what, text] of ROUND_TRIPS) {
  test(`JSON config (${what}): install adds only our entry and uninstall gives back the same bytes`, () => {
    const installed = planJsonInstall(text, 'f.json', 'mcpServers', 'lockstep-mcp', ENTRY)
    assert.equal(installed.changed, true)
    const doc = parse(installed.text.replace(/^\uFEFF/, ''))
    assert.deepEqual(doc.mcpServers['lockstep-mcp'], ENTRY)
    assert.deepEqual({ ...doc.mcpServers, 'lockstep-mcp': undefined }, { ...parse(text.replace(/^\uFEFF/, '')).mcpServers, 'lockstep-mcp': undefined })
    assert.equal(planJsonInstall(installed.text, 'f.json', 'mcpServers', 'lockstep-mcp', ENTRY).changed, false, 'a second install is unchanged')
    assert.equal(planJsonUninstall(installed.text, 'f.json', 'mcpServers', 'lockstep-mcp').text, text)
  })
}

test('JSON config: a file without the key gets it after its other settings; an entry is replaced in place; an old lockstep entry goes', () => {
  const settings = '{\n  "theme": "dark"\n}\n'
  const added = planJsonInstall(settings, 'f.json', 'mcpServers', 'lockstep-mcp', ENTRY).text
  assert.ok(added.startsWith('{\n  "theme": "dark",\n  "mcpServers": {\n    "lockstep-mcp": {'))
  const changed = planJsonInstall(added, 'f.json', 'mcpServers', 'lockstep-mcp', { ...ENTRY, args: ['/new/cli.js', 'server'] }).text
  assert.deepEqual(parse(changed).mcpServers['lockstep-mcp'].args, ['/new/cli.js', 'server'])
  assert.ok(changed.startsWith('{\n  "theme": "dark",\n'))
  const old = '{"mcpServers": {"lockstep": {"command": "npx", "args": ["lockstep-mcp"]}, "gh": {"command": "gh"}}}'
  const replaced = planJsonInstall(old, 'f.json', 'mcpServers', 'lockstep-mcp', ENTRY)
  assert.deepEqual(replaced.replaced, ['lockstep'])
  assert.deepEqual(Object.keys(parse(replaced.text).mcpServers), ['gh', 'lockstep-mcp'])
})

test('JSON config: a file that does not parse, or whose table is not an object, is refused with CONFLICT', () => {
  for (const text of ['{"mcpServers": ', '[]', '{"mcpServers": []}']) {
    assert.throws(
      () => planJsonInstall(text, 'f.json', 'mcpServers', 'lockstep-mcp', ENTRY),
      (error: { code?: string }) => error.code === 'CONFLICT',
      text,
    )
  }
})

test('closest ranks candidates by edit distance, a prefix counting as close, and offers nothing far away', () => {
  const commands = ['install', 'uninstall', 'init', 'status', 'check', 'dashboard', 'demo', 'server']
  const rows: [string, string[], string[]][] = [
    ['instal', commands, ['install']],
    ['dashbaord', commands, ['dashboard']],
    ['dem', commands, ['demo']],
    ['zzzzzz', commands, []],
    ['tset', ['tests', 'reset', 'test'], ['test', 'reset', 'tests']],
    ['--dri', ['--data-dir', '--dry-run', '--dir'], ['--dir']],
  ]
  for (const [given, candidates, expected] of rows) assert.deepEqual(closest(given, candidates), expected, given)
})
