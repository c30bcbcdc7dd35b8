import { Option } from 'clipanion'
import { enableProject } from '../../lib/project/project-setup.js'
import { withStore } from '../../lib/state/open.js'
import { formatSetup } from '../format/setup-format.js'
import { BaseCommand } from './base.js'

export class EnableCommand extends BaseCommand {
  static override paths = [['enable']]
  static override usage = BaseCommand.Usage({ description: "Put the instruction blocks and guards back after 'disable' (init without --force)." })

  dir = Option.String('--dir', { description: 'Project folder (default: the current folder)' })
  dataDir = Option.String('--data-dir', { description: 'Data folder (default: the home folder)' })

  async run(): Promise<void> {
    const result = await withStore({ dataDir: this.dataDir }, this.context, (store) => enableProject(store, { dir: this.dir }, this.context))
    if (this.json) this.outJson(result)
    else this.out(formatSetup(result))
  }
}
