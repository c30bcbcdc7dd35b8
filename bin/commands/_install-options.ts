import { Option } from 'clipanion'
import { BaseCommand } from './_base.js'

/** The target options shared by install and uninstall (CLI §3, §4). */
export abstract class ClientTargetsCommand extends BaseCommand {
  all = Option.Boolean('--all', false, { description: 'Both clients (the default when no client is named)' })
  claude = Option.Boolean('--claude', false, { description: 'Claude Code' })
  codex = Option.Boolean('--codex', false, { description: 'Codex' })
  scope = Option.String('--scope', { description: 'user (default) or project' })
  name = Option.String('--name', { description: 'Server name (default: lockstep-mcp)' })
  dir = Option.String('--dir', { description: 'Project folder for --scope project (default: the current folder)' })
  config = Option.String('--config', { description: 'A Claude-format JSON file with mcpServers to edit instead' })
  dryRun = Option.Boolean('--dry-run', false, { description: 'Print what would change and write nothing' })

  protected targets() {
    const { all, claude, codex, scope, name, dir, config, dryRun } = this
    return { all, claude, codex, scope, name, dir, config, dryRun }
  }
}
