import { accessSync, constants, existsSync } from 'node:fs'
import { delimiter, join, resolve } from 'node:path'

/** Every coding client whose MCP configuration install and uninstall edit. */
export const CLIENTS = ['claude', 'codex', 'cursor', 'gemini', 'vscode', 'copilot', 'opencode', 'windsurf'] as const
export type Client = (typeof CLIENTS)[number]

export const CLIENT_LABELS: Record<Client, string> = {
  claude: 'Claude Code',
  codex: 'Codex',
  cursor: 'Cursor',
  gemini: 'Gemini CLI',
  vscode: 'VS Code',
  copilot: 'Copilot CLI',
  opencode: 'opencode',
  windsurf: 'Windsurf',
}

export interface Where {
  home: string
  env: Record<string, string | undefined>
  platform: NodeJS.Platform
}

/** The top-level key of each JSON client's server table. Codex is TOML and has its own module. */
export const JSON_KEYS: Record<Exclude<Client, 'codex'>, string> = {
  claude: 'mcpServers',
  cursor: 'mcpServers',
  gemini: 'mcpServers',
  vscode: 'servers',
  copilot: 'mcpServers',
  opencode: 'mcp',
  windsurf: 'mcpServers',
}

/** The user-scope configuration file of a client (following the variables each client honours). */
export function userConfigFile(client: Client, where: Where): string {
  const { home, env } = where
  switch (client) {
    case 'claude':
      return resolve(env['CLAUDE_CONFIG_DIR'] || home, '.claude.json')
    case 'codex':
      return resolve(env['CODEX_HOME'] || join(home, '.codex'), 'config.toml')
    case 'cursor':
      return join(home, '.cursor', 'mcp.json')
    case 'gemini':
      return join(home, '.gemini', 'settings.json')
    case 'vscode':
      return join(vscodeUserDir(where), 'mcp.json')
    case 'copilot':
      return resolve(env['COPILOT_HOME'] || join(home, '.copilot'), 'mcp-config.json')
    case 'opencode':
      return preferJsonc(join(xdgConfig(where), 'opencode', 'opencode.json'))
    case 'windsurf':
      return join(home, '.codeium', 'windsurf', 'mcp_config.json')
  }
}

/** The project-scope file, or null for a client that reads none of its own (Copilot CLI reads `.mcp.json`; Windsurf none). */
export function projectConfigFile(client: Client, root: string): string | null {
  switch (client) {
    case 'claude':
      return join(root, '.mcp.json')
    case 'codex':
      return join(root, '.codex', 'config.toml')
    case 'cursor':
      return join(root, '.cursor', 'mcp.json')
    case 'gemini':
      return join(root, '.gemini', 'settings.json')
    case 'vscode':
      return join(root, '.vscode', 'mcp.json')
    case 'opencode':
      return preferJsonc(join(root, 'opencode.json'))
    case 'copilot':
    case 'windsurf':
      return null
  }
}

/** What a client needs told after a project install. */
export function projectNote(client: Client, file: string): string | null {
  switch (client) {
    case 'claude':
      return `Claude Code asks each user to approve the servers in ${file} the first time it starts in this project.`
    case 'codex':
      return `Codex reads ${file} only for trusted projects; mark this project as trusted in Codex.`
    case 'gemini':
      return `Gemini CLI starts the servers of ${file} only in a trusted folder; trust it when Gemini asks.`
    default:
      return null
  }
}

// Signs that a client is used on this machine: its configuration folder, or its program on PATH.
const PROGRAMS: Record<Client, string[]> = {
  claude: ['claude'],
  codex: ['codex'],
  cursor: ['cursor', 'cursor-agent'],
  gemini: ['gemini'],
  vscode: ['code', 'code-insiders'],
  copilot: ['copilot'],
  opencode: ['opencode'],
  windsurf: ['windsurf'],
}

/** The clients found on this machine, in table order. */
export function detectClients(where: Where): Client[] {
  return CLIENTS.filter((client) => {
    const file = userConfigFile(client, where)
    const folder = client === 'claude' ? join(where.home, '.claude') : join(file, '..')
    return existsSync(file) || existsSync(folder) || PROGRAMS[client].some((program) => onPath(program, where))
  })
}

function vscodeUserDir(where: Where): string {
  if (where.platform === 'darwin') return join(where.home, 'Library', 'Application Support', 'Code', 'User')
  if (where.platform === 'win32') return join(where.env['APPDATA'] || join(where.home, 'AppData', 'Roaming'), 'Code', 'User')
  return join(xdgConfig(where), 'Code', 'User')
}

function xdgConfig(where: Where): string {
  return where.env['XDG_CONFIG_HOME'] || join(where.home, '.config')
}

/** opencode reads `opencode.jsonc` as well; an existing one is edited rather than adding a second file. */
function preferJsonc(file: string): string {
  return !existsSync(file) && existsSync(`${file}c`) ? `${file}c` : file
}

function onPath(program: string, where: Where): boolean {
  const names = where.platform === 'win32' ? [`${program}.exe`, `${program}.cmd`] : [program]
  return (where.env['PATH'] ?? where.env['Path'] ?? '')
    .split(delimiter)
    .filter(Boolean)
    .some((dir) =>
      names.some((name) => {
        try {
          accessSync(join(dir, name), constants.X_OK)
          return true
        } catch {
          return false
        }
      }),
    )
}
