import { Option } from 'clipanion'
import { disableProject } from '../../lib/project/project-setup.js'
import { formatSetup } from '../format/setup-format.js'
import { BaseCommand } from './base.js'

export class DisableCommand extends BaseCommand {
  static override paths = [['disable']]
  static override usage = BaseCommand.Usage({
    description: 'Remove the instruction blocks from CLAUDE.md, AGENTS.md and GEMINI.md, and the guards init installed.',
    details: 'Files are never deleted; .lockstep/ and the store stay, so check keeps working.',
  })

  dir = Option.String('--dir', { description: 'Project folder (default: the current folder)' })

  async run(): Promise<void> {
    const result = await disableProject({ dir: this.dir }, this.context)
    if (this.json) this.outJson(result)
    else this.out(formatSetup(result))
  }
}
