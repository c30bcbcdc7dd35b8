import { Option } from 'clipanion'
import type { SettingsFlags } from '../../lib/settings.js'

/** The settings flags of CLI §2, shared by server, dashboard and install. */
export function settingsOptions() {
  return {
    dataDir: Option.String('--data-dir', { description: 'Data folder (default: the home folder)' }),
    logDir: Option.String('--log-dir', { description: 'Log folder (default: <home>/logs)' }),
    mode: Option.String('--mode', { description: 'File access: open or strict' }),
    roots: Option.String('--roots', { description: 'Comma-separated allowed roots' }),
    commandMode: Option.String('--command-mode', { description: 'command_run: open or allowlist' }),
    commandAllow: Option.String('--command-allow', { description: 'Comma-separated allowed programs' }),
    tools: Option.String('--tools', { description: 'Tool profile: core, planner, implementer or all' }),
    leaseTtl: Option.String('--lease-ttl', { description: 'Lease TTL in seconds (60-86400)' }),
    grace: Option.String('--grace', { description: 'Liveness grace in seconds (5-3600)' }),
    claudeCmd: Option.String('--claude-cmd', { description: 'Command that launches Claude Code' }),
    codexCmd: Option.String('--codex-cmd', { description: 'Command that launches Codex' }),
    logLevel: Option.String('--log-level', { description: 'error, warn, info or debug' }),
    serverName: Option.String('--server-name', { description: 'MCP server name' }),
    serverVersion: Option.String('--server-version', { description: 'MCP server version' }),
    storage: Option.String('--storage', { hidden: true }),
    dbPath: Option.String('--db-path', { hidden: true }),
  }
}

export type SettingsOptionValues = { [K in keyof SettingsFlags]: SettingsFlags[K] }

export function flagsOf(command: SettingsOptionValues): SettingsFlags {
  const keys: (keyof SettingsFlags)[] = ['dataDir', 'logDir', 'mode', 'roots', 'commandMode', 'commandAllow', 'tools', 'leaseTtl', 'grace', 'claudeCmd', 'codexCmd', 'logLevel', 'serverName', 'serverVersion', 'storage', 'dbPath']
  return Object.fromEntries(keys.map((key) => [key, command[key]])) as SettingsFlags
}
