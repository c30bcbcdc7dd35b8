import { startMacosSession } from '../../lib/launch/macos-session.js'
import { BaseCommand } from './base.js'
import { AgentWindowsCommand } from './_agent-window-options.js'

export class MacosCommand extends AgentWindowsCommand {
  static override paths = [['macos']]
  static override usage = BaseCommand.Usage({
    description: 'Open Terminal.app windows for a planner (Claude), one implementer (Codex) and the dashboard (macOS only).',
    details: 'Each window is opened by one osascript call, retried 3 times; on failure the commands to run by hand are printed. Elsewhere, use lockstep-mcp tmux.',
  })

  async run(): Promise<number | void> {
    if (this.dryRun) return this.dryRunPlan('terminal')
    const result = await this.withStore((store, settings) => startMacosSession(store, settings, this.windowValues(), this.context))
    if (this.json) this.outJson(result)
    else this.out(`Opened Terminal.app windows: ${result.windows.join(', ')}.`)
  }
}
