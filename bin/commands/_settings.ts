import { Option } from 'clipanion'
import type { SettingsFlags } from '../../lib/state/settings.js'
import { BaseCommand } from './base.js'

type CommandBase = abstract new (...args: any[]) => BaseCommand

/** The server flags (docs/cli.md#settings) that `install` copies into a client entry; `server` takes them too. */
export function withServerFlags<B extends CommandBase>(Base: B) {
  abstract class ServerFlagsCommand extends Base {
    dataDir = Option.String('--data-dir', { description: 'Data folder (default: the home folder)' })
    logDir = Option.String('--log-dir', { description: 'Log folder (default: <home>/logs)' })
    mode = Option.String('--mode', { description: 'File access: open or strict' })
    roots = Option.String('--roots', { description: 'Comma-separated allowed roots' })
    commandMode = Option.String('--command-mode', { description: 'command_run: open or allowlist' })
    commandAllow = Option.String('--command-allow', { description: 'Comma-separated allowed programs' })
    tools = Option.String('--tools', { description: 'Tool profile: core, planner, implementer, all, or auto (core until coordination_init, then the role profile)' })
    leaseTtl = Option.String('--lease-ttl', { description: 'Lease TTL in seconds (60-86400)' })
    grace = Option.String('--grace', { description: 'Liveness grace in seconds (5-3600)' })
    claudeCmd = Option.String('--claude-cmd', { description: 'Command that launches Claude Code' })
    codexCmd = Option.String('--codex-cmd', { description: 'Command that launches Codex' })

    protected serverFlags(): SettingsFlags {
      const { dataDir, logDir, mode, roots, commandMode, commandAllow, tools, leaseTtl, grace, claudeCmd, codexCmd } = this
      return { dataDir, logDir, mode, roots, commandMode, commandAllow, tools, leaseTtl, grace, claudeCmd, codexCmd }
    }
  }
  return ServerFlagsCommand
}
