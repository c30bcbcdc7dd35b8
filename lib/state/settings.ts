import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { LockstepError } from '../errors.js'

/** `auto` lists `core` until coordination_init, then the role's profile (and tells the client the list changed). */
export type ToolProfile = 'core' | 'planner' | 'implementer' | 'all' | 'auto'

export interface Settings {
  home: string
  dataDir: string
  logDir: string
  mode: 'open' | 'strict'
  roots: string[]
  commandMode: 'open' | 'allowlist'
  commandAllow: string[]
  tools: ToolProfile
  leaseTtlSec: number
  graceSec: number
  claudeCmd: string
  codexCmd: string
  logLevel: 'error' | 'warn' | 'info' | 'debug'
  serverName: string
  serverVersion: string
  transport: 'stdio' | 'http'
  /** LOCKSTEP_AGENT_NAME: the name a launched agent registers under by default. */
  agentName?: string
  /** LOCKSTEP_TMUX_SESSION: the tmux session that launch_implementer opens windows in (default `lockstep`). */
  tmuxSession?: string
}

function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.LOCKSTEP_HOME || join(homedir(), '.lockstep-mcp')
}

/** Settings with every default filled in; adapters override what flags and environment give. */
export function defaultSettings(overrides: Partial<Settings> = {}, env: NodeJS.ProcessEnv = process.env): Settings {
  const home = overrides.home ?? defaultHome(env)
  return {
    home,
    dataDir: home,
    logDir: join(home, 'logs'),
    mode: 'open',
    roots: [],
    commandMode: 'open',
    commandAllow: [],
    tools: 'all',
    leaseTtlSec: 1800,
    graceSec: 60,
    claudeCmd: 'claude --dangerously-skip-permissions',
    codexCmd: 'codex --full-auto',
    logLevel: 'info',
    serverName: 'lockstep-mcp',
    serverVersion: '0.0.0',
    transport: 'stdio',
    ...overrides,
  }
}

/** The values of the settings flags as given on the command line (undefined when absent). */
export interface SettingsFlags {
  dataDir?: string
  logDir?: string
  mode?: string
  roots?: string
  commandMode?: string
  commandAllow?: string
  tools?: string
  leaseTtl?: string
  grace?: string
  claudeCmd?: string
  codexCmd?: string
  logLevel?: string
  serverName?: string
  serverVersion?: string
  storage?: string
  dbPath?: string
}

const ENUMS = {
  mode: ['open', 'strict'],
  commandMode: ['open', 'allowlist'],
  tools: ['core', 'planner', 'implementer', 'all', 'auto'],
  logLevel: ['error', 'warn', 'info', 'debug'],
} as const

/**
 * Resolve settings (docs/cli.md#settings): a flag beats LOCKSTEP_*, which beats COORD_*, which beats the default. An invalid
 * value is INVALID_INPUT; it never falls back silently. Returns warnings for accepted-but-ignored flags.
 */
export function resolveSettings(flags: SettingsFlags, env: NodeJS.ProcessEnv, cwd: string, version: string): { settings: Settings; warnings: string[] } {
  const pick = (flag: string | undefined, ...names: string[]) => flag ?? names.map((name) => env[name]).find((value) => value !== undefined && value !== '')
  const home = defaultHome(env)
  const warnings: string[] = []
  if (flags.storage || flags.dbPath || env.COORD_STORAGE || env.COORD_DB_PATH) warnings.push('--storage and --db-path are ignored: lockstep-mcp has one store, under the data folder.')
  const choice = <K extends keyof typeof ENUMS>(key: K, flag: string, value: string | undefined, fallback: (typeof ENUMS)[K][number]) => {
    if (value === undefined) return fallback
    if (!(ENUMS[key] as readonly string[]).includes(value)) throw invalid(flag, value, `one of ${ENUMS[key].join(', ')}`)
    return value as (typeof ENUMS)[K][number]
  }
  const integer = (flag: string, value: string | undefined, min: number, max: number, fallback: number) => {
    if (value === undefined) return fallback
    const parsed = Number(value)
    if (!/^\d+$/.test(value) || parsed < min || parsed > max) throw invalid(flag, value, `a whole number from ${min} to ${max}`)
    return parsed
  }
  const list = (value: string | undefined) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)
  const dataDir = resolve(cwd, expandTilde(pick(flags.dataDir, 'LOCKSTEP_DATA_DIR', 'COORD_DATA_DIR') ?? home))
  const roots = list(pick(flags.roots, 'LOCKSTEP_ROOTS', 'COORD_ROOTS')).map((root) => resolve(cwd, expandTilde(root)))
  for (const root of roots) if (!existsSync(root)) throw invalid('--roots', root, 'existing folders')
  const settings = defaultSettings(
    {
      home,
      dataDir,
      logDir: resolve(cwd, expandTilde(pick(flags.logDir, 'LOCKSTEP_LOG_DIR', 'COORD_LOG_DIR') ?? join(home, 'logs'))),
      mode: choice('mode', '--mode', pick(flags.mode, 'LOCKSTEP_MODE', 'COORD_MODE'), 'open'),
      roots,
      commandMode: choice('commandMode', '--command-mode', pick(flags.commandMode, 'LOCKSTEP_COMMAND_MODE', 'COORD_COMMAND_MODE'), 'open'),
      commandAllow: list(pick(flags.commandAllow, 'LOCKSTEP_COMMAND_ALLOW', 'COORD_COMMAND_ALLOW')),
      tools: choice('tools', '--tools', pick(flags.tools, 'LOCKSTEP_TOOLS'), 'all'),
      leaseTtlSec: integer('--lease-ttl', pick(flags.leaseTtl, 'LOCKSTEP_LEASE_TTL'), 60, 86_400, 1800),
      graceSec: integer('--grace', pick(flags.grace, 'LOCKSTEP_GRACE'), 5, 3600, 60),
      claudeCmd: pick(flags.claudeCmd, 'LOCKSTEP_CLAUDE_CMD') ?? 'claude --dangerously-skip-permissions',
      codexCmd: pick(flags.codexCmd, 'LOCKSTEP_CODEX_CMD') ?? 'codex --full-auto',
      logLevel: choice('logLevel', '--log-level', pick(flags.logLevel, 'LOCKSTEP_LOG_LEVEL'), 'info'),
      serverName: pick(flags.serverName, 'COORD_SERVER_NAME') ?? 'lockstep-mcp',
      serverVersion: pick(flags.serverVersion, 'COORD_SERVER_VERSION') ?? version,
      ...(env.LOCKSTEP_AGENT_NAME ? { agentName: env.LOCKSTEP_AGENT_NAME } : {}),
      ...(env.LOCKSTEP_TMUX_SESSION ? { tmuxSession: env.LOCKSTEP_TMUX_SESSION } : {}),
    },
    env,
  )
  return { settings, warnings }
}

function invalid(flag: string, value: string, expected: string): LockstepError {
  return new LockstepError('INVALID_INPUT', `${flag} ${JSON.stringify(value)} is not valid: expected ${expected}.`, { flag, value })
}

function expandTilde(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path
}
