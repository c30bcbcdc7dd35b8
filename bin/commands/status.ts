import { Option } from 'clipanion'
import { formatStatus } from '../format/status-format.js'
import { buildStatusReport } from '../../lib/status/status-report.js'
import { withStore } from '../../lib/state/open.js'
import { BaseCommand } from './base.js'

export class StatusCommand extends BaseCommand {
  static override paths = [['status']]
  static override usage = BaseCommand.Usage({
    description: 'Show the client entries, the project, the dashboard and any problems, with what to do next.',
    details: 'A report (it only writes to reclaim the claims and locks of agents that are gone); always exit 0 (usage errors aside).',
  })

  dir = Option.String('--dir', { description: 'Project folder (default: the current folder)' })
  dataDir = Option.String('--data-dir', { description: 'Data folder (default: the home folder)' })

  async run(): Promise<void> {
    const report = await withStore({ dataDir: this.dataDir }, this.context, (store, settings) => buildStatusReport(store, settings, { dir: this.dir }, this.context))
    if (this.json) return this.outJson(report)
    const color = Boolean((this.context.stdout as NodeJS.WriteStream).isTTY) && !this.context.env.NO_COLOR
    this.out(formatStatus(report, { color, cwd: this.context.cwd }))
  }
}
