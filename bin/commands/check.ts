import { Option } from 'clipanion'
import { resolve } from 'node:path'
import { checkProjectDir } from '../../lib/project/check.js'
import { formatCheck } from '../format/check-format.js'
import { BaseCommand } from './base.js'

export class CheckCommand extends BaseCommand {
  static override paths = [['check']]
  static override usage = BaseCommand.Usage({
    description: 'For CI: check .lockstep/state.json (project complete, nothing in review or left, no blocking discussion).',
    details: 'Exit 0 when every check passes, 1 when one fails, 3 when state.json is missing, invalid or from a newer schema. Needs no home folder and no server.',
  })

  dir = Option.String('--dir', { description: 'Project folder (default: the current folder)' })

  async run(): Promise<number> {
    const result = checkProjectDir(resolve(this.context.cwd, this.dir ?? '.'))
    if (this.json) {
      const { ok, project, summary, failures, error } = result
      this.outJson({ ok, project, summary, failures, ...(error ? { error } : {}) })
    } else if (result.exitCode === 3) {
      this.context.stderr.write(formatCheck(result))
    } else {
      this.out(formatCheck(result))
    }
    return result.exitCode
  }
}
