import { accessSync, constants, readFileSync, statSync } from 'node:fs'
import { basename, delimiter, isAbsolute, join } from 'node:path'
import { parse } from 'smol-toml'
import { resolveConfigTarget, type Scope } from '../clients/client-configs.js'
import { CLIENTS, JSON_KEYS, projectConfigFile, type Client } from '../clients/clients.js'
import { isTable, OLD_ENTRY_NAME, runsLockstepMcp, splitBom } from '../clients/config-files.js'
import { readJsonServers } from '../clients/json-config.js'

export type ClientState = 'ok' | 'broken' | 'not installed' | 'unreadable'

export interface ClientStatus {
  client: Client
  scope: Scope
  file: string
  /** Whether the config file exists. */
  found: boolean
  /** The entry's name, null when there is none. */
  name: string | null
  state: ClientState
  /** An old `lockstep` entry, which install replaces. */
  legacy: boolean
  command?: string
  args?: string[]
  url?: string
  problem?: string
  fix?: string
}

const REINSTALL = 'run lockstep-mcp install again'
const OUR_NAME = 'lockstep-mcp'

/** Every lockstep-mcp entry of every client, user scope and (with a project) project scope, each checked. */
export function clientStatuses(input: { home: string; env: NodeJS.ProcessEnv; projectRoot?: string; cliPath: string }): ClientStatus[] {
  const rows: ClientStatus[] = []
  const scopes: Scope[] = input.projectRoot ? ['user', 'project'] : ['user']
  for (const client of CLIENTS) {
    for (const scope of scopes) {
      if (scope === 'project' && projectConfigFile(client, input.projectRoot!) === null) continue
      const target = resolveConfigTarget({ client, scope, home: input.home, env: input.env, ...(input.projectRoot ? { projectRoot: input.projectRoot } : {}) })
      rows.push(...fileStatuses(client, scope, target.file, input))
    }
  }
  return rows
}

function fileStatuses(client: Client, scope: Scope, file: string, input: { env: NodeJS.ProcessEnv; cliPath: string }): ClientStatus[] {
  const base = { client, scope, file, legacy: false }
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return [{ ...base, found: false, name: null, state: 'not installed' }]
  }
  let servers: Record<string, unknown>
  try {
    if (client === 'codex') {
      const body = splitBom(text).body
      const doc: unknown = body.trim() === '' ? {} : parse(body)
      const table = isTable(doc) ? (doc['mcp_servers'] ?? {}) : null
      if (!isTable(table)) throw new Error('its server table is not an object')
      servers = table
    } else {
      servers = readJsonServers(text, file, JSON_KEYS[client])
    }
  } catch (error) {
    const problem = `${file} cannot be parsed (${(error as Error).message.split('\n')[0]})`
    return [{ ...base, found: true, name: null, state: 'unreadable', problem, fix: 'fix the file by hand; install leaves it untouched until it parses' }]
  }
  const names = Object.keys(servers).filter((name) => name === OUR_NAME || runsLockstepMcp(servers[name]) || mentions(servers[name], input.cliPath))
  if (names.length === 0) return [{ ...base, found: true, name: null, state: 'not installed' }]
  return names.map((name) => ({ ...base, found: true, name, legacy: name === OLD_ENTRY_NAME, ...checkEntry(servers[name], input.env) }))
}

/** The checks of an entry in `status` (docs/cli.md#status): the command runs, the script exists, and `server` follows the script. */
function checkEntry(raw: unknown, env: NodeJS.ProcessEnv): Pick<ClientStatus, 'state' | 'command' | 'args' | 'url' | 'problem' | 'fix'> {
  const entry = isTable(raw) ? raw : {}
  // Gemini names the URL httpUrl and Windsurf serverUrl; opencode keeps the whole command line in one array
  const url = [entry['url'], entry['httpUrl'], entry['serverUrl']].find((value) => typeof value === 'string')
  if (typeof url === 'string') return { state: 'ok', url }
  const line = Array.isArray(entry['command']) ? entry['command'].map(String) : null
  const command = line ? (line[0] ?? '') : typeof entry['command'] === 'string' ? entry['command'] : ''
  const args = line ? line.slice(1) : Array.isArray(entry['args']) ? entry['args'].map(String) : []
  const broken = (problem: string) => ({ state: 'broken' as const, command, args, problem, fix: REINSTALL })
  if (!command) return broken('the entry has no command')
  if (!findExecutable(command, env)) return broken(`command ${command} not found or not executable`)
  let program = command
  let rest = args
  if (/^cmd(\.exe)?$/i.test(basename(command)) && rest[0]?.toLowerCase() === '/c') [program, rest] = [rest[1] ?? '', rest.slice(2)]
  const tool = basename(program)
    .toLowerCase()
    .replace(/\.(cmd|exe)$/, '')
  if (tool === 'npx') {
    const at = rest.findIndex((arg) => /^lockstep-mcp(@|$)/.test(arg))
    if (at === -1) return broken('npx is not given the lockstep-mcp package')
    if (rest[at + 1] !== 'server') return broken('`server` does not follow the lockstep-mcp package')
    return { state: 'ok', command, args }
  }
  if (tool.startsWith('lockstep-mcp')) return rest[0] === 'server' ? { state: 'ok', command, args } : broken('`server` does not follow lockstep-mcp')
  const script = rest[0]
  if (script === undefined) return broken('the entry has no script after the command')
  if (script === 'server') return broken('`server` comes straight after the command, without the script')
  if (!isAbsolute(script)) return broken(`script ${script} is not an absolute path`)
  if (!isFile(script)) return broken(`script ${script} not found`)
  if (rest[1] !== 'server') return broken('`server` does not follow the script')
  return { state: 'ok', command, args }
}

/** The path a command runs: an absolute path that is an executable file, or the first match on PATH. */
export function findExecutable(command: string, env: NodeJS.ProcessEnv): string | null {
  const windows = process.platform === 'win32'
  const extensions = windows ? ['', ...(env['PATHEXT'] ?? '.EXE;.CMD;.BAT;.COM').split(';').map((ext) => ext.toLowerCase())] : ['']
  const candidates = isAbsolute(command)
    ? extensions.map((ext) => command + ext)
    : command.includes('/') || command.includes('\\')
      ? []
      : (env['PATH'] ?? env['Path'] ?? '')
          .split(delimiter)
          .filter(Boolean)
          .flatMap((dir) => extensions.map((ext) => join(dir, command + ext)))
  for (const candidate of candidates) {
    if (!isFile(candidate)) continue
    try {
      if (!windows) accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not executable; try the next one
    }
  }
  return null
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

function mentions(entry: unknown, cliPath: string): boolean {
  return isTable(entry) && [entry['args'], entry['command']].some((list) => Array.isArray(list) && list.includes(cliPath))
}
