import { Cli, Command, type CommandClass } from 'clipanion'
import { packageVersion } from '../lib/version.js'
import { HelpCommand, VersionCommand } from './commands/help.js'
import { DashboardCommand } from './commands/dashboard.js'
import { ServerCommand } from './commands/server.js'
import { InstallCommand } from './commands/install.js'
import { UninstallCommand } from './commands/uninstall.js'
import { InitCommand } from './commands/init.js'
import { EnableCommand } from './commands/enable.js'
import { DisableCommand } from './commands/disable.js'
import { StatusCommand } from './commands/status.js'
import { CheckCommand } from './commands/check.js'
import { PromptsCommand } from './commands/prompts.js'
import { TmuxCommand } from './commands/tmux.js'
import { MacosCommand } from './commands/macos.js'
import { DemoCommand } from './commands/demo.js'
import type { CliContext } from './commands/_base.js'
import { describeParseError, usageOf } from './_usage.js'

const COMMANDS = [HelpCommand, VersionCommand, ServerCommand, DashboardCommand, InstallCommand, UninstallCommand, InitCommand, EnableCommand, DisableCommand, StatusCommand, CheckCommand, PromptsCommand, TmuxCommand, MacosCommand, DemoCommand]

/** Parse, run and map the exit code; clipanion's own error printing (to stdout) is bypassed. */
export async function main(argv: string[], context: CliContext): Promise<number> {
  const cli = new Cli<CliContext>({ binaryLabel: 'lockstep-mcp', binaryName: 'lockstep-mcp', binaryVersion: packageVersion(), enableColors: false })
  for (const command of COMMANDS) cli.register(command)
  const args = argv.length ? argv : [(context.stdin as NodeJS.ReadStream).isTTY ? 'help' : 'server']
  let command: Command<CliContext>
  try {
    command = cli.process(args, context) as Command<CliContext>
  } catch (error) {
    context.stderr.write(describeParseError(cli, args, error))
    return 2
  }
  // `<command> --help` comes back as clipanion's own help command, holding the matched command's index
  const builtinHelp = command as unknown as { commands?: number[]; contexts?: Array<{ commandClass: CommandClass<CliContext> }> }
  if (builtinHelp.commands?.length === 1 && builtinHelp.contexts) {
    context.stdout.write(usageOf(cli, builtinHelp.contexts[builtinHelp.commands[0]!]!.commandClass, true))
    return 0
  }
  if ((command as { help?: boolean }).help) {
    context.stdout.write(usageOf(cli, command.constructor as CommandClass<CliContext>, true))
    return 0
  }
  command.context = context
  command.cli = cli as never
  try {
    return (await command.validateAndExecute()) ?? 0
  } catch (error) {
    context.stderr.write(`error [INVALID_INPUT]: ${(error as Error)?.message ?? String(error)}\n`)
    return 2
  }
}

const code = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), colorDepth: 1 })
process.exitCode = code
