import { promises as fsp } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { readTextOrNull } from '../../storage/atomic.js'
import { LockstepError } from '../errors.js'
import { JSON_KEYS, projectConfigFile, projectNote, userConfigFile, type Client } from './clients.js'
import { planCodexInstall, planCodexUninstall } from './codex-config.js'
import { writeText, type ConfigEdit } from './config-files.js'
import { planJsonInstall, planJsonUninstall } from './json-config.js'

export { CLIENTS, CLIENT_LABELS, detectClients, type Client } from './clients.js'
export type Scope = 'user' | 'project'
/** `[flag, value]` pairs (put into the order of the settings table, docs/cli.md#settings), or ready-made args kept as given. */
export type ServerFlags = readonly (readonly [string, string])[] | readonly string[]

/** What install registers, independent of the client format. */
export type ServerEntry =
  { transport: 'stdio'; launch: 'node' | 'npx'; command: string; args: string[]; env: Record<string, string> } | { transport: 'http'; url: string; bearer: string; token: string | undefined }

export interface BuildServerEntryInput {
  scope: Scope
  version: string
  platform: NodeJS.Platform
  home: string
  /** Absolute path of the Node running the CLI (process.execPath). */
  nodePath?: string
  /** Absolute path of dist/cli.js. */
  cliPath?: string
  useNpx?: boolean
  flags?: ServerFlags
  /** The LOCKSTEP_HOME value at install time, if any. */
  lockstepHome?: string | undefined
  url?: string
  token?: string
}

export interface ConfigTarget {
  client: Client
  scope: Scope
  file: string
  newFileMode: number
  dirMode?: number
  notes: string[]
}

export interface ConfigReport {
  client: Client
  scope: Scope
  file: string
  action: 'written' | 'unchanged' | 'removed' | 'not found'
  entry: Record<string, unknown> | null
  /** Old entries removed along with ours (the `lockstep` entry running lockstep-mcp). */
  replaced: string[]
  warnings: string[]
  notes: string[]
  before: string | null
  after: string | null
}

/** Server flags in the order of the settings table (docs/cli.md#settings). */
const SERVER_FLAGS = [
  '--data-dir',
  '--log-dir',
  '--mode',
  '--roots',
  '--command-mode',
  '--command-allow',
  '--tools',
  '--lease-ttl',
  '--grace',
  '--claude-cmd',
  '--codex-cmd',
  '--log-level',
  '--server-name',
  '--server-version',
] as const

const TOKEN_ENV_VAR = 'LOCKSTEP_HTTP_TOKEN'
const PASSED_VARS = ['LOCKSTEP_AGENT_NAME', 'LOCKSTEP_TMUX_SESSION', 'LOCKSTEP_HOME']

/** The command an entry runs (docs/cli.md#install): this installation, npx, or a URL. Throws INVALID_INPUT. */
export function buildServerEntry(input: BuildServerEntryInput): ServerEntry {
  if (input.url !== undefined) return remoteEntry(input.url, input.scope === 'user' ? input.token : undefined)
  const flags = orderFlags(input.flags ?? [])
  const env: Record<string, string> = {}
  const home = input.lockstepHome ? expandHome(input.lockstepHome, input.home) : undefined
  if (input.scope === 'user' && home !== undefined && home !== join(input.home, '.lockstep-mcp')) env['LOCKSTEP_HOME'] = home
  const fromNpxCache = input.cliPath?.includes('_npx') ?? false
  if (input.useNpx || input.scope === 'project' || fromNpxCache) {
    const args = ['-y', `lockstep-mcp@${input.version}`, 'server', ...flags]
    return input.scope === 'user' && input.platform === 'win32'
      ? { transport: 'stdio', launch: 'npx', command: 'cmd', args: ['/c', 'npx', ...args], env }
      : { transport: 'stdio', launch: 'npx', command: 'npx', args, env }
  }
  for (const path of [input.nodePath, input.cliPath]) {
    if (!path || !isAbsolute(path)) {
      const message = `'${path ?? ''}' is not an absolute path; install writes only absolute node and script paths (or use --npx)`
      throw new LockstepError('INVALID_INPUT', message, { path })
    }
  }
  return { transport: 'stdio', launch: 'node', command: input.nodePath!, args: [input.cliPath!, 'server', ...flags], env }
}

/** Checks that a permanent entry's node and script exist. Throws NOT_FOUND. */
async function verifyServerEntry(entry: ServerEntry): Promise<void> {
  if (entry.transport !== 'stdio' || entry.launch !== 'node') return
  for (const path of [entry.command, entry.args[0] ?? '']) {
    try {
      if (!(await fsp.stat(path)).isFile()) throw new Error('not a file')
    } catch {
      const message = `${path} does not exist; build lockstep-mcp (npm run build) or install it with npm, then run install again`
      throw new LockstepError('NOT_FOUND', message, { path })
    }
  }
}

/** The `mcpServers.<name>` value for Claude Code. */
export function claudeEntry(entry: ServerEntry): Record<string, unknown> {
  if (entry.transport === 'http') {
    return { type: 'http', url: entry.url, headers: { Authorization: `Bearer ${entry.bearer}` } }
  }
  return { type: 'stdio', command: entry.command, args: entry.args, env: entry.env }
}

/** The `[mcp_servers.<name>]` table for Codex: no `type` key, which Codex rejects in strict mode. */
export function codexEntry(entry: ServerEntry): Record<string, unknown> {
  const timeouts = { startup_timeout_sec: 30, tool_timeout_sec: 660 }
  if (entry.transport === 'http') return { url: entry.url, bearer_token_env_var: TOKEN_ENV_VAR, ...timeouts }
  const env_vars = PASSED_VARS.filter((name) => !(name in entry.env))
  return { command: entry.command, args: entry.args, env: entry.env, env_vars, ...timeouts }
}

/** The entry each client expects, from its documentation: field names differ for the same command or URL. */
export function clientEntry(client: Client, entry: ServerEntry): Record<string, unknown> {
  const remote = entry.transport === 'http' ? { url: entry.url, headers: { Authorization: `Bearer ${entry.bearer}` } } : null
  const env = entry.transport === 'stdio' ? entry.env : {}
  switch (client) {
    case 'claude':
      return claudeEntry(entry)
    case 'codex':
      return codexEntry(entry)
    case 'vscode':
      return remote ? { type: 'http', ...remote } : { type: 'stdio', ...stdio(entry) }
    case 'copilot':
      // tools: ["*"] lets Copilot call every tool; without it Copilot CLI offers none
      return remote ? { type: 'http', ...remote, tools: ['*'] } : { type: 'local', ...stdio(entry), tools: ['*'] }
    case 'gemini':
      // Gemini's default tool timeout (10 min) is shorter than a 600 s command_run plus its wait
      return remote ? { httpUrl: remote.url, headers: remote.headers, timeout: 660_000 } : { ...stdio(entry), timeout: 660_000 }
    case 'opencode':
      if (remote) return { type: 'remote', ...remote, enabled: true }
      return { type: 'local', command: [stdio(entry).command, ...stdio(entry).args], enabled: true, ...(Object.keys(env).length ? { environment: env } : {}) }
    case 'windsurf':
      return remote ? { serverUrl: remote.url, headers: remote.headers } : stdio(entry)
    case 'cursor':
      return remote ?? stdio(entry)
  }
}

function stdio(entry: ServerEntry): { command: string; args: string[]; env: Record<string, string> } {
  if (entry.transport !== 'stdio') throw new Error('not a stdio entry')
  return { command: entry.command, args: entry.args, env: entry.env }
}

/** Where a client keeps its MCP servers. `config` is a Claude-format file named with --config. Throws INVALID_INPUT. */
export function resolveConfigTarget(input: {
  client: Client
  scope: Scope
  home: string
  env: Record<string, string | undefined>
  projectRoot?: string
  config?: string
  platform?: NodeJS.Platform
}): ConfigTarget {
  const { client, scope, home, env } = input
  if (input.config !== undefined) {
    return { client: 'claude', scope, file: resolve(input.config), newFileMode: scope === 'user' ? 0o600 : 0o644, notes: [] }
  }
  if (scope === 'user') {
    const file = userConfigFile(client, { home, env, platform: input.platform ?? process.platform })
    return { client, scope, file, newFileMode: 0o600, dirMode: 0o700, notes: [] }
  }
  if (!input.projectRoot) throw new LockstepError('INVALID_INPUT', 'project scope needs a project folder; pass --dir <path>')
  const file = projectConfigFile(client, input.projectRoot)
  if (file === null) {
    const instead = client === 'copilot' ? "Copilot CLI reads the project's .mcp.json: use --client claude --scope project" : 'use --scope user'
    throw new LockstepError('INVALID_INPUT', `${client} has no project configuration file; ${instead}.`, { client })
  }
  const note = projectNote(client, file)
  // a project file is shared: it holds no secret, and only Codex's needs to stay private to the user
  return { client, scope, file, newFileMode: client === 'codex' ? 0o600 : 0o644, notes: note ? [note] : [] }
}

/** Write `name` into the target file; a second identical run writes nothing. Throws INVALID_INPUT, NOT_FOUND, CONFLICT. */
export async function installClientConfig(input: { target: ConfigTarget; name: string; entry: ServerEntry; dryRun?: boolean }): Promise<ConfigReport> {
  const { target, name, entry } = input
  assertServerName(name)
  await verifyServerEntry(entry)
  const value = clientEntry(target.client, entry)
  const before = await readTextOrNull(target.file)
  const edit = target.client === 'codex' ? planCodexInstall(before, target.file, name, value) : planJsonInstall(before, target.file, JSON_KEYS[target.client], name, value)
  const notes = [...target.notes]
  if (target.client === 'codex' && entry.transport === 'http') {
    notes.push(`export ${TOKEN_ENV_VAR}=${entry.token ?? '<token>'}`)
  }
  await commit(target, edit, input.dryRun)
  return report(target, edit, edit.changed ? 'written' : 'unchanged', value, before, notes)
}

/** Remove `name` (and an old `lockstep` entry running lockstep-mcp) from the target file. Throws INVALID_INPUT, CONFLICT. */
export async function uninstallClientConfig(input: { target: ConfigTarget; name: string; dryRun?: boolean }): Promise<ConfigReport> {
  const { target, name } = input
  assertServerName(name)
  const before = await readTextOrNull(target.file)
  const edit = target.client === 'codex' ? planCodexUninstall(before, target.file, name) : planJsonUninstall(before, target.file, JSON_KEYS[target.client], name)
  await commit(target, edit, input.dryRun)
  return report(target, edit, edit.changed ? 'removed' : 'not found', null, before, [])
}

/** Throws INVALID_INPUT unless the name is usable as an MCP server name and a bare TOML key. */
export function assertServerName(name: string): void {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new LockstepError('INVALID_INPUT', `server name '${name}' may contain only letters, digits, '_' and '-'`, { name })
  }
}

async function commit(target: ConfigTarget, edit: ConfigEdit, dryRun = false): Promise<void> {
  if (edit.changed && !dryRun) await writeText(target.file, edit.text, target.newFileMode, target.dirMode)
}

function report(target: ConfigTarget, edit: ConfigEdit, action: ConfigReport['action'], entry: Record<string, unknown> | null, before: string | null, notes: string[]): ConfigReport {
  const { client, scope, file } = target
  const after = edit.changed ? edit.text : before
  return { client, scope, file, action, entry, replaced: edit.replaced, warnings: edit.warnings, notes, before, after }
}

function remoteEntry(url: string, token: string | undefined): ServerEntry {
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    parsed = undefined
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    const message = `--url '${url}' is not an http(s) URL; pass the server's address, e.g. http://host:8788/mcp`
    throw new LockstepError('INVALID_INPUT', message, { url })
  }
  // a project file is shared, so it only ever references the token through the environment
  return { transport: 'http', url, bearer: token ?? `\${${TOKEN_ENV_VAR}}`, token }
}

function orderFlags(flags: ServerFlags): string[] {
  if (flags.every((flag): flag is string => typeof flag === 'string')) return [...flags]
  const pairs = (flags as readonly (readonly [string, string])[]).map(([flag, value]) => {
    const name = flag.startsWith('--') ? flag : `--${flag}`
    const rank = (SERVER_FLAGS as readonly string[]).indexOf(name)
    if (rank === -1) {
      throw new LockstepError('INVALID_INPUT', `${name} is not a server flag; see 'lockstep-mcp server --help'`, { flag: name })
    }
    return { name, value, rank }
  })
  return pairs.sort((a, b) => a.rank - b.rank).flatMap(({ name, value }) => [name, value])
}

function expandHome(path: string, home: string): string {
  return resolve(path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path)
}
