import { Option } from 'clipanion'
import { installClients, installExitCode } from '../../lib/clients/install.js'
import { formatInstall } from '../format/install-format.js'
import { BaseCommand } from './base.js'
import { ClientTargetsCommand } from './_install-options.js'
import { withServerFlags } from './_settings.js'

export class InstallCommand extends withServerFlags(ClientTargetsCommand) {
  static override paths = [['install']]
  static override usage = BaseCommand.Usage({
    description: 'Register the MCP server with your coding clients: Claude Code, Codex, Cursor, Gemini CLI, VS Code, Copilot CLI, opencode, Windsurf.',
    details:
      'With no client named, every client found on this machine is configured (Claude Code and Codex when none is). Server flags are copied into the entry after `server`. Every other entry, setting and comment of the file is kept byte for byte; a file that does not parse is left untouched.',
    examples: [
      ['Every client found here, user scope', '$0 install'],
      ['Cursor and Gemini CLI', '$0 install --client cursor --client gemini'],
      ['Claude Code for this project only', '$0 install --client claude --scope project'],
    ],
  })

  npx = Option.Boolean('--npx', false, { description: 'Run the server through npx instead of this installation' })
  url = Option.String('--url', { description: 'Register a shared `server --http` at this URL instead' })
  token = Option.String('--token', { description: 'Bearer token for --url (user scope only)' })

  async run(): Promise<number> {
    const { npx, url, token } = this
    const flags = this.serverFlags()
    const result = await installClients({ ...this.targets(), npx, url, token, flags }, { env: this.context.env, cwd: this.context.cwd })
    const { out, err } = formatInstall(result)
    if (this.json) this.outJson({ dryRun: result.dryRun, selection: result.selection, targets: result.targets })
    else this.context.stdout.write(out)
    this.context.stderr.write(err)
    return installExitCode(result)
  }
}
