import { Command } from 'clipanion'
import type { CliContext } from '../usage.js'
import { usageOf } from '../usage.js'

export class HelpCommand extends Command<CliContext> {
  static override paths = [['help'], ['-h'], ['--help']]
  static override usage = Command.Usage({ description: 'Print usage.' })

  async execute(): Promise<number> {
    this.context.stdout.write(`${usageOf(this.cli as never, null, false)}\nStart with 'lockstep-mcp demo' to watch it work, then 'lockstep-mcp install'.\n`)
    return 0
  }
}

export class VersionCommand extends Command<CliContext> {
  static override paths = [['version'], ['-v'], ['--version']]
  static override usage = Command.Usage({ description: 'Print the version.' })

  async execute(): Promise<number> {
    this.context.stdout.write(`lockstep-mcp v${this.cli.binaryVersion}\n`)
    return 0
  }
}
