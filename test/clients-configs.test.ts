import assert from 'node:assert/strict'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { parse } from 'smol-toml'
import {
  buildServerEntry,
  claudeEntry,
  codexEntry,
  installClientConfig,
  resolveConfigTarget,
  uninstallClientConfig,
  type BuildServerEntryInput,
  type ConfigTarget,
  type ServerEntry,
} from '../lib/clients/client-configs.js'
import { ROOT, tempDir } from './support/helpers.js'

const FIXTURES = join(ROOT, 'fixtures', 'client-configs')
const posixOnly = process.platform === 'win32' ? 'file modes and symlinks are POSIX' : false
type T = Parameters<typeof tempDir>[0]

const BASE: BuildServerEntryInput = {
  scope: 'user',
  version: '1.2.3',
  platform: 'linux',
  home: '/home/dana',
  nodePath: '/usr/local/bin/node',
  cliPath: '/usr/local/lib/node_modules/lockstep-mcp/dist/cli.js',
}

/** A temp home with a real node and script, so install's existence check passes. */
function setup(t: T): { dir: string; home: string; project: string; entry: ServerEntry } {
  const dir = tempDir(t)
  const home = join(dir, 'home')
  const project = join(dir, 'project')
  mkdirSync(home)
  mkdirSync(project)
  const cliPath = join(dir, 'pkg', 'dist', 'cli.js')
  mkdirSync(join(dir, 'pkg', 'dist'), { recursive: true })
  writeFileSync(cliPath, '')
  return { dir, home, project, entry: buildServerEntry({ ...BASE, home, nodePath: process.execPath, cliPath }) }
}

function fixture(name: string, to: string): string {
  mkdirSync(join(to, '..'), { recursive: true })
  copyFileSync(join(FIXTURES, name), to)
  return readFileSync(to, 'utf8')
}

function target(client: 'claude' | 'codex', scope: 'user' | 'project', home: string, project?: string): ConfigTarget {
  return resolveConfigTarget({ client, scope, home, env: {}, ...(project ? { projectRoot: project } : {}) })
}

/** A parsed TOML document as plain JSON (smol-toml tables have a null prototype). */
function toml(text: string): Record<string, any> {
  return JSON.parse(JSON.stringify(parse(text)))
}

async function assertCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: { code?: string }) => error.code === code)
}

function assertThrowsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: { code?: string }) => error.code === code)
}

test('buildServerEntry runs this installation, or npx with --npx, from the npx cache and for project scope (docs/cli.md#install)', () => {
  const rows: [string, Partial<BuildServerEntryInput>, string, string[]][] = [
    ['permanent install', {}, BASE.nodePath!, [BASE.cliPath!, 'server']],
    ['npx cache', { cliPath: '/home/dana/.npm/_npx/4b1f/node_modules/lockstep-mcp/dist/cli.js' }, 'npx', ['-y', 'lockstep-mcp@1.2.3', 'server']],
    ['--npx', { useNpx: true }, 'npx', ['-y', 'lockstep-mcp@1.2.3', 'server']],
    ['project scope', { scope: 'project' }, 'npx', ['-y', 'lockstep-mcp@1.2.3', 'server']],
    ['windows user npx', { platform: 'win32', useNpx: true }, 'cmd', ['/c', 'npx', '-y', 'lockstep-mcp@1.2.3', 'server']],
    ['windows project', { platform: 'win32', scope: 'project' }, 'npx', ['-y', 'lockstep-mcp@1.2.3', 'server']],
  ]
  for (const [label, override, command, args] of rows) {
    const entry = buildServerEntry({ ...BASE, ...override })
    assert.equal(entry.transport, 'stdio', label)
    if (entry.transport !== 'stdio') continue
    assert.equal(entry.command, command, label)
    assert.deepEqual(entry.args, args, label)
  }
})

test('buildServerEntry copies given flags in the order of the settings table', () => {
  const entry = buildServerEntry({
    ...BASE,
    flags: [
      ['--tools', 'core'],
      ['mode', 'strict'],
      ['--data-dir', '/srv/data'],
    ],
  })
  assert.equal(entry.transport, 'stdio')
  if (entry.transport !== 'stdio') return
  assert.deepEqual(entry.args.slice(1), ['server', '--data-dir', '/srv/data', '--mode', 'strict', '--tools', 'core'])
  const raw = buildServerEntry({ ...BASE, useNpx: true, flags: ['--grace', '30'] })
  assert.deepEqual(raw.transport === 'stdio' && raw.args.slice(-3), ['server', '--grace', '30'])
})

test('buildServerEntry sets LOCKSTEP_HOME only for a non-default home at user scope', () => {
  const env = (override: Partial<BuildServerEntryInput>) => {
    const entry = buildServerEntry({ ...BASE, ...override })
    return entry.transport === 'stdio' ? entry.env : undefined
  }
  assert.deepEqual(env({}), {})
  assert.deepEqual(env({ lockstepHome: '/home/dana/.lockstep-mcp' }), {})
  assert.deepEqual(env({ lockstepHome: '~/.lockstep-mcp' }), {})
  assert.deepEqual(env({ lockstepHome: '/srv/lockstep' }), { LOCKSTEP_HOME: '/srv/lockstep' })
  assert.deepEqual(env({ lockstepHome: '/srv/lockstep', useNpx: true }), { LOCKSTEP_HOME: '/srv/lockstep' })
  assert.deepEqual(env({ lockstepHome: '/srv/lockstep', scope: 'project' }), {})
})

test('buildServerEntry refuses relative paths, unknown flags and non-http urls', () => {
  assertThrowsCode(() => buildServerEntry({ ...BASE, nodePath: 'node' }), 'INVALID_INPUT')
  assertThrowsCode(() => buildServerEntry({ ...BASE, cliPath: 'dist/cli.js' }), 'INVALID_INPUT')
  assertThrowsCode(() => buildServerEntry({ ...BASE, flags: [['--port', '1']] }), 'INVALID_INPUT')
  assertThrowsCode(() => buildServerEntry({ ...BASE, url: 'ftp://host/mcp' }), 'INVALID_INPUT')
})

test('codexEntry has no type key, inline-able env, and env_vars without the fixed ones', () => {
  const plain = codexEntry(buildServerEntry(BASE))
  assert.deepEqual(plain, {
    command: BASE.nodePath,
    args: [BASE.cliPath, 'server'],
    env: {},
    env_vars: ['LOCKSTEP_AGENT_NAME', 'LOCKSTEP_TMUX_SESSION', 'LOCKSTEP_HOME'],
    startup_timeout_sec: 30,
    tool_timeout_sec: 660,
  })
  const withHome = codexEntry(buildServerEntry({ ...BASE, lockstepHome: '/srv/lockstep' }))
  assert.deepEqual(withHome['env_vars'], ['LOCKSTEP_AGENT_NAME', 'LOCKSTEP_TMUX_SESSION'])
  assert.deepEqual(claudeEntry(buildServerEntry(BASE)), { type: 'stdio', command: BASE.nodePath, args: [BASE.cliPath, 'server'], env: {} })
})

test('remote entries never put a token into a project file', () => {
  const url = 'https://coord.example:8788/mcp'
  const header = (over: Partial<BuildServerEntryInput>) => claudeEntry(buildServerEntry({ ...BASE, url, ...over }))['headers']
  assert.deepEqual(header({ token: 's3cret' }), { Authorization: 'Bearer s3cret' })
  assert.deepEqual(header({}), { Authorization: 'Bearer ${LOCKSTEP_HTTP_TOKEN}' })
  assert.deepEqual(header({ scope: 'project', token: 's3cret' }), { Authorization: 'Bearer ${LOCKSTEP_HTTP_TOKEN}' })
  assert.equal(claudeEntry(buildServerEntry({ ...BASE, url }))['type'], 'http')
  const codex = codexEntry(buildServerEntry({ ...BASE, url, token: 's3cret' }))
  assert.equal(codex['url'], url)
  assert.equal(codex['bearer_token_env_var'], 'LOCKSTEP_HTTP_TOKEN')
  assert.ok(!('type' in codex) && !JSON.stringify(codex).includes('s3cret'))
})

test('resolveConfigTarget follows CLAUDE_CONFIG_DIR, CODEX_HOME and the project folder', () => {
  const home = '/home/dana'
  const file = (client: 'claude' | 'codex', scope: 'user' | 'project', env: Record<string, string> = {}) => resolveConfigTarget({ client, scope, home, env, projectRoot: '/work/app' }).file
  assert.equal(file('claude', 'user'), join(home, '.claude.json'))
  assert.equal(file('claude', 'user', { CLAUDE_CONFIG_DIR: '/cfg/claude' }), join('/cfg/claude', '.claude.json'))
  assert.equal(file('claude', 'project'), join('/work/app', '.mcp.json'))
  assert.equal(file('codex', 'user'), join(home, '.codex', 'config.toml'))
  assert.equal(file('codex', 'user', { CODEX_HOME: '/cfg/codex' }), join('/cfg/codex', 'config.toml'))
  assert.equal(file('codex', 'project'), join('/work/app', '.codex', 'config.toml'))
  assert.ok(resolveConfigTarget({ client: 'codex', scope: 'project', home, env: {}, projectRoot: '/w' }).notes.length > 0)
  assertThrowsCode(() => resolveConfigTarget({ client: 'claude', scope: 'project', home, env: {} }), 'INVALID_INPUT')
})

test('Claude install keeps every other key of a big ~/.claude.json and its mode', { skip: posixOnly }, async (t) => {
  const { home, entry } = setup(t)
  const file = join(home, '.claude.json')
  const original = JSON.parse(fixture('claude-user.json', file))
  chmodSync(file, 0o640)
  const report = await installClientConfig({ target: target('claude', 'user', home), name: 'lockstep-mcp', entry })
  assert.equal(report.action, 'written')
  const after = JSON.parse(readFileSync(file, 'utf8'))
  const { mcpServers, ...rest } = after
  const { mcpServers: oldServers, ...oldRest } = original
  assert.deepEqual(rest, oldRest)
  assert.deepEqual(Object.keys(after), Object.keys(original))
  assert.deepEqual(mcpServers, { ...oldServers, 'lockstep-mcp': claudeEntry(entry) })
  assert.equal(statSync(file).mode & 0o777, 0o640)
  assert.deepEqual(readdirSync(home), ['.claude.json'])
})

test('a second identical Claude install is unchanged and leaves the file alone', async (t) => {
  const { home, entry } = setup(t)
  const file = join(home, '.claude.json')
  fixture('claude-user.json', file)
  await installClientConfig({ target: target('claude', 'user', home), name: 'lockstep-mcp', entry })
  const bytes = readFileSync(file)
  const mtime = statSync(file).mtimeMs
  const again = await installClientConfig({ target: target('claude', 'user', home), name: 'lockstep-mcp', entry })
  assert.equal(again.action, 'unchanged')
  assert.deepEqual(readFileSync(file), bytes)
  assert.equal(statSync(file).mtimeMs, mtime)
})

test('new Claude files get 0600 at user scope and 0644 for .mcp.json', { skip: posixOnly }, async (t) => {
  const { home, project, entry } = setup(t)
  await installClientConfig({ target: target('claude', 'user', home), name: 'lockstep-mcp', entry })
  assert.equal(statSync(join(home, '.claude.json')).mode & 0o777, 0o600)
  const shared = buildServerEntry({ ...BASE, scope: 'project' })
  const report = await installClientConfig({ target: target('claude', 'project', home, project), name: 'lockstep-mcp', entry: shared })
  assert.equal(report.action, 'written')
  assert.equal(statSync(join(project, '.mcp.json')).mode & 0o777, 0o644)
  assert.equal(JSON.parse(readFileSync(join(project, '.mcp.json'), 'utf8')).mcpServers['lockstep-mcp'].command, 'npx')
})

test('Claude project install keeps the other server of .mcp.json', async (t) => {
  const { home, project } = setup(t)
  const original = JSON.parse(fixture('mcp-project.json', join(project, '.mcp.json')))
  const entry = buildServerEntry({ ...BASE, scope: 'project' })
  await installClientConfig({ target: target('claude', 'project', home, project), name: 'lockstep-mcp', entry })
  const after = JSON.parse(readFileSync(join(project, '.mcp.json'), 'utf8'))
  assert.deepEqual(after.mcpServers.playwright, original.mcpServers.playwright)
  assert.ok(!JSON.stringify(after).includes(home))
})

test('Claude install replaces an old lockstep entry that runs lockstep-mcp', async (t) => {
  const { home, entry } = setup(t)
  const file = join(home, '.claude.json')
  const original = JSON.parse(fixture('claude-old-entry.json', file))
  const report = await installClientConfig({ target: target('claude', 'user', home), name: 'lockstep-mcp', entry })
  assert.deepEqual(report.replaced, ['lockstep'])
  const servers = JSON.parse(readFileSync(file, 'utf8')).mcpServers
  assert.deepEqual(Object.keys(servers).sort(), ['filesystem', 'lockstep-mcp'])
  assert.deepEqual(servers.filesystem, original.mcpServers.filesystem)
})

test('an unparsable JSON config fails with CONFLICT and stays byte-identical', async (t) => {
  const { home, entry } = setup(t)
  const file = join(home, '.claude.json')
  fixture('claude-broken.json', file)
  const bytes = readFileSync(file)
  await assertCode(installClientConfig({ target: target('claude', 'user', home), name: 'lockstep-mcp', entry }), 'CONFLICT')
  await assertCode(uninstallClientConfig({ target: target('claude', 'user', home), name: 'lockstep-mcp' }), 'CONFLICT')
  assert.deepEqual(readFileSync(file), bytes)
  assert.deepEqual(readdirSync(home), ['.claude.json'])
})

test('Claude uninstall removes only ours and the old entry, then reports not found', async (t) => {
  const { home, entry } = setup(t)
  const file = join(home, '.claude.json')
  const original = JSON.parse(fixture('claude-user.json', file))
  await installClientConfig({ target: target('claude', 'user', home), name: 'lockstep-mcp', entry })
  const removed = await uninstallClientConfig({ target: target('claude', 'user', home), name: 'lockstep-mcp' })
  assert.equal(removed.action, 'removed')
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), original)
  const again = await uninstallClientConfig({ target: target('claude', 'user', home), name: 'lockstep-mcp' })
  assert.equal(again.action, 'not found')

  fixture('claude-old-entry.json', file)
  const old = await uninstallClientConfig({ target: target('claude', 'user', home), name: 'lockstep-mcp' })
  assert.deepEqual([old.action, old.replaced], ['removed', ['lockstep']])
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(file, 'utf8')).mcpServers), ['filesystem'])
  const missing = await uninstallClientConfig({ target: target('codex', 'user', home), name: 'lockstep-mcp' })
  assert.equal(missing.action, 'not found')
})

test('install refuses a missing node or script and dry runs write nothing', async (t) => {
  const { home, entry } = setup(t)
  const ghost = buildServerEntry({ ...BASE, home, nodePath: process.execPath, cliPath: join(home, 'missing', 'cli.js') })
  await assertCode(installClientConfig({ target: target('claude', 'user', home), name: 'lockstep-mcp', entry: ghost }), 'NOT_FOUND')
  const dry = await installClientConfig({ target: target('codex', 'user', home), name: 'lockstep-mcp', entry, dryRun: true })
  assert.equal(dry.action, 'written')
  assert.ok(dry.after?.includes('[mcp_servers.lockstep-mcp]'))
  assert.deepEqual(readdirSync(home), [])
  await assertCode(installClientConfig({ target: target('claude', 'user', home), name: 'lock step', entry }), 'INVALID_INPUT')
})

test('a symlinked config stays a symlink and its target is updated', { skip: posixOnly }, async (t) => {
  const { dir, home, entry } = setup(t)
  const real = join(dir, 'dotfiles', 'claude.json')
  fixture('mcp-project.json', real)
  symlinkSync(real, join(home, '.claude.json'))
  await installClientConfig({ target: target('claude', 'user', home), name: 'lockstep-mcp', entry })
  assert.ok(JSON.parse(readFileSync(real, 'utf8')).mcpServers['lockstep-mcp'])
  assert.ok(readdirSync(home, { withFileTypes: true })[0]!.isSymbolicLink())
})

test('--config writes the Claude-format entry into any mcpServers JSON file', async (t) => {
  const { dir, home, entry } = setup(t)
  const file = join(dir, 'other-client.json')
  fixture('mcp-project.json', file)
  const configTarget = resolveConfigTarget({ client: 'codex', scope: 'user', home, env: {}, config: file })
  await installClientConfig({ target: configTarget, name: 'lockstep-mcp', entry })
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).mcpServers['lockstep-mcp'], claudeEntry(entry))
})

test('Codex install appends one table after a blank line and keeps every other byte', async (t) => {
  const { home, entry } = setup(t)
  const file = join(home, '.codex', 'config.toml')
  const original = fixture('codex-config.toml', file)
  const report = await installClientConfig({ target: target('codex', 'user', home), name: 'lockstep-mcp', entry })
  assert.equal(report.action, 'written')
  const after = readFileSync(file, 'utf8')
  assert.equal(after.slice(0, original.length), original)
  assert.ok(after.slice(original.length).startsWith('\n[mcp_servers.lockstep-mcp]\n'))
  assert.ok(!after.includes('[mcp_servers.lockstep-mcp.env]'))
  const doc = toml(after)
  assert.deepEqual(doc.mcp_servers['lockstep-mcp'], codexEntry(entry))
  assert.equal(doc.mcp_servers.docs.env.DOCS_API_KEY, 'sk-docs-example')
})

test('Codex install replaces an existing table and its sub-tables in place', async (t) => {
  const { home, entry } = setup(t)
  const file = join(home, '.codex', 'config.toml')
  const original = fixture('codex-existing.toml', file)
  const report = await installClientConfig({ target: target('codex', 'user', home), name: 'lockstep-mcp', entry })
  assert.deepEqual(report.replaced, ['lockstep'])
  const after = readFileSync(file, 'utf8')
  const header = original.indexOf('[mcp_servers.lockstep-mcp]')
  assert.equal(after.slice(0, header), original.slice(0, header))
  const docs = original.slice(original.indexOf('# Documentation search.'), original.indexOf('[mcp_servers.lockstep]'))
  assert.ok(after.includes(docs))
  assert.ok(after.endsWith('[profiles.ci]\napproval_policy = "never"\n'))
  const doc = toml(after)
  assert.deepEqual(Object.keys(doc.mcp_servers).sort(), ['docs', 'lockstep-mcp'])
  assert.deepEqual(doc.mcp_servers['lockstep-mcp'].env, {})
  assert.equal(after.split('[mcp_servers.lockstep-mcp]').length, 2)
})

test('a second identical Codex install is unchanged and leaves the file alone', async (t) => {
  const { home, entry } = setup(t)
  const file = join(home, '.codex', 'config.toml')
  fixture('codex-existing.toml', file)
  await installClientConfig({ target: target('codex', 'user', home), name: 'lockstep-mcp', entry })
  const bytes = readFileSync(file)
  const mtime = statSync(file).mtimeMs
  const again = await installClientConfig({ target: target('codex', 'user', home), name: 'lockstep-mcp', entry })
  assert.equal(again.action, 'unchanged')
  assert.deepEqual(readFileSync(file), bytes)
  assert.equal(statSync(file).mtimeMs, mtime)
})

test('Codex uninstall after install gives back the original bytes', async (t) => {
  const { home, entry } = setup(t)
  const file = join(home, '.codex', 'config.toml')
  for (const name of ['codex-config.toml', 'codex-crlf.toml']) {
    const original = fixture(name, file)
    await installClientConfig({ target: target('codex', 'user', home), name: 'lockstep-mcp', entry })
    const report = await uninstallClientConfig({ target: target('codex', 'user', home), name: 'lockstep-mcp' })
    assert.equal(report.action, 'removed', name)
    assert.equal(readFileSync(file, 'utf8'), original, name)
    const again = await uninstallClientConfig({ target: target('codex', 'user', home), name: 'lockstep-mcp' })
    assert.equal(again.action, 'not found', name)
  }
})

test('Codex uninstall removes only the entry tables and the old lockstep entry', async (t) => {
  const { home } = setup(t)
  const file = join(home, '.codex', 'config.toml')
  const original = fixture('codex-existing.toml', file)
  const report = await uninstallClientConfig({ target: target('codex', 'user', home), name: 'lockstep-mcp' })
  assert.deepEqual([report.action, report.replaced], ['removed', ['lockstep']])
  const after = readFileSync(file, 'utf8')
  const doc = toml(after)
  const before = toml(original)
  assert.deepEqual(Object.keys(doc.mcp_servers), ['docs'])
  assert.deepEqual(doc.profiles.ci, before.profiles.ci)
  for (const kept of ['model = "gpt-5-codex"\n', '# lockstep coordinates agents on this machine\n', '# Documentation search.\n']) {
    assert.ok(after.includes(kept), kept)
  }
})

test('a CRLF Codex config keeps CRLF line endings', async (t) => {
  const { home, entry } = setup(t)
  const file = join(home, '.codex', 'config.toml')
  fixture('codex-crlf.toml', file)
  await installClientConfig({ target: target('codex', 'user', home), name: 'lockstep-mcp', entry })
  const after = readFileSync(file, 'utf8')
  assert.ok(!/[^\r]\n/.test(after))
  assert.ok(toml(after).mcp_servers['lockstep-mcp'])
})

test('inline-table and dotted-key entries fall back to a full rewrite with a warning', async (t) => {
  const { home, entry } = setup(t)
  const file = join(home, '.codex', 'config.toml')
  for (const name of ['codex-inline.toml', 'codex-dotted.toml']) {
    const before = toml(fixture(name, file))
    const report = await installClientConfig({ target: target('codex', 'user', home), name: 'lockstep-mcp', entry })
    assert.equal(report.warnings.length, 1, name)
    const doc = toml(readFileSync(file, 'utf8'))
    assert.deepEqual(doc.mcp_servers['lockstep-mcp'], codexEntry(entry), name)
    assert.equal(doc.model, before.model, name)
    const removed = await uninstallClientConfig({ target: target('codex', 'user', home), name: 'lockstep-mcp' })
    assert.equal(removed.action, 'removed', name)
    assert.equal(toml(readFileSync(file, 'utf8')).mcp_servers?.['lockstep-mcp'], undefined, name)
  }
  assert.deepEqual(Object.keys(toml(readFileSync(file, 'utf8')).profiles), ['ci'])
})

test('invalid TOML fails with CONFLICT and stays byte-identical', async (t) => {
  const { home, entry } = setup(t)
  const file = join(home, '.codex', 'config.toml')
  fixture('codex-broken.toml', file)
  const bytes = readFileSync(file)
  await assertCode(installClientConfig({ target: target('codex', 'user', home), name: 'lockstep-mcp', entry }), 'CONFLICT')
  await assertCode(uninstallClientConfig({ target: target('codex', 'user', home), name: 'lockstep-mcp' }), 'CONFLICT')
  writeFileSync(join(home, 'scalar.toml'), 'mcp_servers = 5\n')
  const scalar = resolveConfigTarget({ client: 'codex', scope: 'user', home, env: { CODEX_HOME: home } })
  copyFileSync(join(home, 'scalar.toml'), scalar.file)
  await assertCode(installClientConfig({ target: scalar, name: 'lockstep-mcp', entry }), 'CONFLICT')
  assert.deepEqual(readFileSync(file), bytes)
  assert.deepEqual(readdirSync(join(home, '.codex')), ['config.toml'])
})

test('a new Codex config gets its folder and mode 0600', { skip: posixOnly }, async (t) => {
  const { home, project, entry } = setup(t)
  await installClientConfig({ target: target('codex', 'user', home), name: 'lockstep-mcp', entry })
  const file = join(home, '.codex', 'config.toml')
  assert.equal(statSync(file).mode & 0o777, 0o600)
  assert.deepEqual(toml(readFileSync(file, 'utf8')).mcp_servers['lockstep-mcp'], codexEntry(entry))
  const shared = buildServerEntry({ ...BASE, scope: 'project' })
  const report = await installClientConfig({ target: target('codex', 'project', home, project), name: 'lockstep-mcp', entry: shared })
  assert.ok(report.notes.length > 0)
  assert.ok(existsSync(join(project, '.codex', 'config.toml')))
})

test('a remote Codex entry references the token variable and says what to export', async (t) => {
  const { home } = setup(t)
  const entry = buildServerEntry({ ...BASE, home, url: 'http://10.0.0.5:8788/mcp', token: 'tok' })
  const report = await installClientConfig({ target: target('codex', 'user', home), name: 'lockstep-mcp', entry })
  assert.ok(report.notes.length > 0)
  const doc = toml(readFileSync(join(home, '.codex', 'config.toml'), 'utf8'))
  assert.equal(doc.mcp_servers['lockstep-mcp'].url, 'http://10.0.0.5:8788/mcp')
  assert.equal(doc.mcp_servers['lockstep-mcp'].bearer_token_env_var, 'LOCKSTEP_HTTP_TOKEN')
  const claude = await installClientConfig({ target: target('claude', 'user', home), name: 'lockstep-mcp', entry })
  assert.equal(claude.action, 'written')
  assert.deepEqual(JSON.parse(readFileSync(join(home, '.claude.json'), 'utf8')).mcpServers['lockstep-mcp'], {
    type: 'http',
    url: 'http://10.0.0.5:8788/mcp',
    headers: { Authorization: 'Bearer tok' },
  })
})
