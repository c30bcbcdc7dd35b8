import { Option } from 'clipanion'
import { initProject } from '../../lib/project/project-setup.js'
import { withStore } from '../../lib/state/open.js'
import { formatSetup } from '../format/setup-format.js'
import { BaseCommand } from './base.js'

export class InitCommand extends BaseCommand {
  static override paths = [['init']]
  static override usage = BaseCommand.Usage({
    description: 'Set up a project: the instructions in AGENTS.md (imported by CLAUDE.md and GEMINI.md), .lockstep/, the store folder and the edit and commit guards.',
    details: 'Rerunning refreshes the blocks. Malformed markers stop the command and nothing is written; --force replaces them with a fresh block.',
  })

  dir = Option.String('--dir', { description: 'Project folder (default: the current folder)' })
  force = Option.Boolean('--force', false, { description: 'Replace malformed markers with a fresh block' })
  guards = Option.Boolean('--guards', true, { description: 'Install the edit and commit guards (--no-guards skips them)' })
  dataDir = Option.String('--data-dir', { description: 'Data folder (default: the home folder)' })

  async run(): Promise<void> {
    const input = { dir: this.dir, force: this.force, guards: this.guards }
    const result = await withStore({ dataDir: this.dataDir }, this.context, (store) => initProject(store, input, this.context))
    if (this.json) this.outJson(result)
    else this.out(formatSetup(result))
  }
}
