import { spawnSync } from 'node:child_process'
import { Option } from 'clipanion'
import { startTmuxSession } from '../../lib/launch/tmux-session.js'
import { BaseCommand } from './base.js'
import { AgentWindowsCommand } from './_agent-window-options.js'

export class TmuxCommand extends AgentWindowsCommand {
  static override paths = [['tmux']]
  static override usage = BaseCommand.Usage({
    description: 'Start a planner (Claude) and one implementer (Codex) in a tmux session, with the dashboard.',
    details: 'An existing session is attached as it is. With --no-attach, or when stdin is not a terminal, the attach command is printed instead.',
  })

  session = Option.String('--session', 'lockstep', { description: 'tmux session name (default: lockstep)' })
  layout = Option.String('--layout', 'windows', { description: 'windows or panes' })
  split = Option.String('--split', 'vertical', { description: 'With --layout panes: vertical (side by side) or horizontal (stacked)' })
  attach = Option.Boolean('--attach', true, { description: 'Attach when done; --no-attach prints the command instead' })

  async run(): Promise<number> {
    if (this.dryRun) return this.dryRunPlan('tmux', this.session)
    const input = { ...this.windowValues(), session: this.session, layout: this.layout, split: this.split }
    const result = await this.withStore((store, settings) => startTmuxSession(store, settings, input, this.context))
    const inside = Boolean(this.context.env.TMUX)
    const attach = ['tmux', inside ? 'switch-client' : 'attach', '-t', result.session]
    if (this.json) this.outJson({ ...result, attach: attach.join(' ') })
    else if (result.existed) this.out(`Session ${result.session} is already running; nothing was changed.`)
    else this.out(`Started ${result.windows.map((window) => window.name).join(', ')} in tmux session ${result.session}.`)
    if (this.json || !this.attach || !(this.context.stdin as NodeJS.ReadStream).isTTY) {
      if (!this.json) this.out(`Attach with: ${attach.join(' ')}`)
      return 0
    }
    return spawnSync(attach[0], attach.slice(1), { stdio: 'inherit', env: this.context.env }).status ?? 1
  }
}
