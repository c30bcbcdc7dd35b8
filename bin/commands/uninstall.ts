import { installExitCode, uninstallClients } from '../../lib/clients/install.js'
import { formatInstall } from '../format/install-format.js'
import { BaseCommand } from './base.js'
import { ClientTargetsCommand } from './_install-options.js'

export class UninstallCommand extends ClientTargetsCommand {
  static override paths = [['uninstall']]
  static override usage = BaseCommand.Usage({
    description: 'Remove the MCP server from your coding clients (every client found here, or those named with --client).',
    details: 'Removes only our entry (and an old `lockstep` entry that runs lockstep-mcp); every other byte of the file is kept. Exit 0 even when nothing was found.',
  })

  async run(): Promise<number> {
    const result = await uninstallClients(this.targets(), { env: this.context.env, cwd: this.context.cwd })
    const { out, err } = formatInstall(result)
    if (this.json) this.outJson({ dryRun: result.dryRun, selection: result.selection, targets: result.targets })
    else this.context.stdout.write(out)
    this.context.stderr.write(err)
    return installExitCode(result)
  }
}
