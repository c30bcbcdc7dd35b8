import { startMacosSession } from '../../lib/macos-session.js'
import { BaseCommand } from './_base.js'
import { agentWindowOptions, agentWindowValues } from './_agent-window-options.js'

export class MacosCommand extends BaseCommand {
  static override paths = [['macos']]
  static override usage = BaseCommand.Usage({
    description: 'Open Terminal.app windows for a planner (Claude), one implementer (Codex) and the dashboard (macOS only).',
    details: 'Each window is opened by one osascript call, retried 3 times; on failure the commands to run by hand are printed. Elsewhere, use lockstep-mcp tmux.',
  })

  options = agentWindowOptions()
  repo = this.options.repo
  claudeCmd = this.options.claudeCmd
  codexCmd = this.options.codexCmd
  prompts = this.options.prompts
  dashboard = this.options.dashboard
  dashboardHost = this.options.dashboardHost
  dashboardPort = this.options.dashboardPort
  dataDir = this.options.dataDir
  logDir = this.options.logDir

  async run(): Promise<void> {
    const result = await startMacosSession(agentWindowValues(this), this.context)
    if (this.json) this.outJson(result)
    else this.out(`Opened Terminal.app windows: ${result.windows.join(', ')}.`)
  }
}
