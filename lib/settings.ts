import { homedir } from 'node:os'
import { join } from 'node:path'

export type ToolProfile = 'core' | 'planner' | 'implementer' | 'all'

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
}

export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
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
