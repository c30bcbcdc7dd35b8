import type { BaseContext, Cli, CommandClass } from 'clipanion'
import { didYouMean } from '../lib/core/suggest.js'

export type CliContext = BaseContext & { cwd: string }

type AnyCli = Cli<CliContext>

/** clipanion writes a value placeholder as `#0`; name it after its flag instead: `--dir <dir>`. */
function readableUsage(text: string): string {
  // in the option table the placeholder is followed by padding: keep the description column where it was
  return text.replace(/(--([a-z][\w-]*)) #0( *)/g, (_match, flag: string, name: string, pad: string) => {
    const value = `${flag} <${name}>`
    return pad.length > 1 ? value + ' '.repeat(Math.max(2, pad.length - (name.length + 2 - 2))) : value + pad
  })
}

export function usageOf(cli: AnyCli, command: CommandClass<CliContext> | null, detailed: boolean): string {
  return readableUsage(cli.usage(command, { detailed }))
}

/** The one-line pointer printed under a usage error instead of the whole usage. */
export function hintFor(path: string | null): string {
  return path ? `hint: 'lockstep-mcp ${path} --help' shows its flags and examples.\n` : `hint: 'lockstep-mcp help' lists the commands.\n`
}

/**
 * A parse error from clipanion as `error [INVALID_INPUT]: …` and a hint (docs/cli.md#conventions): an unknown command or flag names the
 * closest ones, ranked by edit distance.
 */
export function describeParseError(cli: AnyCli, argv: string[], error: unknown): string {
  const definitions = cli.definitions()
  const paths = [...new Set(definitions.map((definition) => definition.path.split(' ').slice(1).join(' ')).filter(Boolean))]
  const path = paths.filter((candidate) => argv.slice(0, candidate.split(' ').length).join(' ') === candidate).sort((a, b) => b.length - a.length)[0] ?? null
  const commands = paths.filter((candidate) => !candidate.startsWith('-'))
  if (!path) {
    const word = argv.find((arg) => !arg.startsWith('-')) ?? argv[0] ?? ''
    if (word.startsWith('-')) return `error [INVALID_INPUT]: unknown flag '${word}'; flags follow a command.\n${hintFor(null)}`
    return `error [INVALID_INPUT]: unknown command '${word}'${didYouMean(word, commands)}.\n${hintFor(null)}`
  }
  const reason = firstReason(error)
  const flags = definitions
    .filter((definition) => definition.path.split(' ').slice(1).join(' ') === path)
    .flatMap((definition) => definition.options.flatMap((option) => option.definition.split(/[ ,]/).filter((name) => name.startsWith('-'))))
  const unknown = /Unsupported option name \("([^"]+)"\)/.exec(reason)?.[1]
  if (unknown) return `error [INVALID_INPUT]: unknown flag '${unknown}' for ${path}${didYouMean(unknown.split('=')[0]!, flags)}.\n${hintFor(path)}`
  const extra = /Extraneous positional argument \("([^"]+)"\)/.exec(reason)?.[1]
  if (extra)
    return `error [INVALID_INPUT]: ${path} takes no argument '${extra}'${didYouMean(
      extra,
      flags.map((flag) => flag.replace(/^--/, '')),
    )}; values follow their flag.\n${hintFor(path)}`
  return `error [INVALID_INPUT]: ${readableUsage(reason).replace(/\.$/, '')}.\n${hintFor(path)}`
}

function firstReason(error: unknown): string {
  const candidates = (error as { candidates?: Array<{ reason: string | null }> }).candidates
  const reason = candidates?.find((candidate) => candidate.reason)?.reason
  return reason ?? String((error as Error)?.message ?? error).split('\n')[0]!
}
