import { Command, Option } from 'clipanion'
import { isLockstepError } from '../../lib/errors.js'
import { hintFor, type CliContext } from '../usage.js'

/** Exit codes (docs/cli.md#exit-codes): 2 for usage and INVALID_INPUT, 1 for any other error. */
function exitCodeFor(error: unknown): number {
  return isLockstepError(error) && error.code === 'INVALID_INPUT' ? 2 : 1
}

/** Every command: `--json` output and the one error mapping (stderr `error [CODE]: message`). */
export abstract class BaseCommand extends Command<CliContext> {
  json = Option.Boolean('--json', false, { description: 'Print one JSON document on stdout' })

  abstract run(): Promise<number | void>

  async execute(): Promise<number> {
    try {
      return (await this.run()) ?? 0
    } catch (error) {
      this.fail(error)
      const code = exitCodeFor(error)
      // a bad value is a usage error (exit 2): one line points at the command's help, rather than the whole usage
      if (code === 2) this.context.stderr.write(hintFor(this.path.join(' ')))
      return code
    }
  }

  protected out(text: string): void {
    this.context.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
  }

  protected outJson(value: unknown): void {
    this.context.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
  }

  protected fail(error: unknown): void {
    if (isLockstepError(error)) this.context.stderr.write(`error [${error.code}]: ${error.message}\n`)
    else this.context.stderr.write(`error [INTERNAL]: ${(error as Error)?.stack ?? String(error)}\n`)
  }
}
