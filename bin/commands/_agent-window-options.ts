import { Option } from 'clipanion'
import { cliScriptPath } from '../../lib/install.js'
import { BaseCommand } from './_base.js'

/** The options that `tmux` and `macos` share (CLI §10, §11). */
export abstract class AgentWindowsCommand extends BaseCommand {
  repo = Option.String('--repo', { description: 'Repository folder (default: the current folder)' })
  claudeCmd = Option.String('--claude-cmd', 'claude', { description: 'Command that starts the planner (default: claude)' })
  codexCmd = Option.String('--codex-cmd', 'codex', { description: 'Command that starts the implementer (default: codex)' })
  prompts = Option.Boolean('--prompts', true, { description: 'Pass each agent its prompt; --no-prompts starts them without one' })
  dashboard = Option.Boolean('--dashboard', true, { description: 'Open the dashboard too; --no-dashboard leaves it out' })
  dashboardHost = Option.String('--dashboard-host', '127.0.0.1', { description: 'Dashboard address (default 127.0.0.1)' })
  dashboardPort = Option.String('--dashboard-port', '8787', { description: 'Dashboard port (default 8787)' })
  dataDir = Option.String('--data-dir', { description: 'Data folder (default: the home folder)' })
  logDir = Option.String('--log-dir', { description: 'Log folder (default: <home>/logs)' })

  protected windowValues(): Record<string, unknown> {
    const { repo, claudeCmd, codexCmd, prompts, dashboard, dashboardHost, dashboardPort, dataDir, logDir } = this
    return { repo, claudeCmd, codexCmd, prompts, dashboard, dashboardHost, dashboardPort, dataDir, logDir, cliPath: cliScriptPath() }
  }
}
