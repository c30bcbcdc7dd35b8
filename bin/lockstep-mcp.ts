import { Cli, Command, type CommandClass } from 'clipanion'
import { packageVersion } from '../lib/core/version.js'
import { HelpCommand, VersionCommand } from './commands/help.js'
import type { CliContext } from './usage.js'
import { describeParseError, usageOf } from './usage.js'

// Each command's module is loaded only when it can run: `server` is started for every agent session and must not
// wait for the dashboard's, the installer's or the git layer's code.
async function commandsFor(args: string[]): Promise<CommandClass<CliContext>[]> {
  if (args[0] === 'server') return [HelpCommand, VersionCommand, (await import('./commands/server.js')).ServerCommand]
  const modules = await Promise.all([
    import('./commands/server.js'),
    import('./commands/dashboard.js'),
    import('./commands/install.js'),
    import('./commands/uninstall.js'),
    import('./commands/init.js'),
    import('./commands/enable.js'),
    import('./commands/disable.js'),
    import('./commands/status.js'),
    import('./commands/check.js'),
    import('./commands/doctor.js'),
    import('./commands/prompts.js'),
    import('./commands/tmux.js'),
    import('./commands/macos.js'),
    import('./commands/demo.js'),
  ])
  return [HelpCommand, VersionCommand, ...modules.flatMap((module) => Object.values(module) as CommandClass<CliContext>[])]
}

/** Parse, run and map the exit code; clipanion's own error printing (to stdout) is bypassed. */
export async function main(argv: string[], context: CliContext): Promise<number> {
  const cli = new Cli<CliContext>({ binaryLabel: 'lockstep-mcp', binaryName: 'lockstep-mcp', binaryVersion: packageVersion(), enableColors: false })
  const args = argv.length ? argv : [(context.stdin as NodeJS.ReadStream).isTTY ? 'help' : 'server']
  for (const command of await commandsFor(args)) cli.register(command)
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
