import { Option } from 'clipanion'
import { BaseCommand } from './base.js'

/** The target options shared by install and uninstall (docs/cli.md#install, docs/cli.md#uninstall). */
export abstract class ClientTargetsCommand extends BaseCommand {
  client = Option.Array('--client', [], { description: 'claude, codex, cursor, gemini, vscode, copilot, opencode or windsurf; repeat for several (default: every client found here)' })
  all = Option.Boolean('--all', false, { description: 'Every supported client, found here or not' })
  claude = Option.Boolean('--claude', false, { description: 'Claude Code (same as --client claude)' })
  codex = Option.Boolean('--codex', false, { description: 'Codex (same as --client codex)' })
  scope = Option.String('--scope', { description: 'user (default) or project' })
  name = Option.String('--name', { description: 'Server name (default: lockstep-mcp)' })
  dir = Option.String('--dir', { description: 'Project folder for --scope project (default: the current folder)' })
  config = Option.String('--config', { description: 'A Claude-format JSON file with mcpServers to edit instead' })
  dryRun = Option.Boolean('--dry-run', false, { description: 'Print what would change and write nothing' })

  protected targets() {
    const { all, claude, codex, scope, name, dir, config, dryRun } = this
    return { all, claude, codex, clients: this.client, scope, name, dir, config, dryRun }
  }
}
