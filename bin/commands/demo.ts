import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { Option } from 'clipanion'
import { cliPath } from '../demo/agents.js'
import { LockstepError } from '../../lib/errors.js'
import { openInBrowser } from '../../lib/launch/dashboard-open.js'
import { displayPath } from '../../lib/state/projects.js'
import { DemoRun, runDemo } from '../demo/run.js'
import { BaseCommand } from './base.js'

const PACE_MS = 1400

export class DemoCommand extends BaseCommand {
  static override paths = [['demo']]
  static override usage = BaseCommand.Usage({
    description: 'Watch lockstep-mcp work, no AI needed: a planner and three scripted implementers build a small project while the dashboard shows it.',
    details:
      'Creates a git repository in a temporary folder (or --dir), starts the dashboard and real lockstep-mcp servers with a private store, and narrates each step (about 40 s; --fast for no pauses). Ctrl-C stops every process it started.',
    examples: [
      ['Watch it in the browser', 'lockstep-mcp demo'],
      ['Run it without pauses or a browser', 'lockstep-mcp demo --fast --no-open'],
    ],
  })

  dir = Option.String('--dir', { description: 'A new or empty folder for the repository (default: a temporary folder)' })
  fast = Option.Boolean('--fast', false, { description: 'No pauses between steps' })
  open = Option.Boolean('--open', true, { description: 'Open the dashboard in the browser (--no-open: only print its URL)' })
  port = Option.String('--port', '8787', { description: 'Preferred dashboard port; the next free one is used when taken' })

  async run(): Promise<number> {
    const port = Number(this.port)
    if (!/^\d+$/.test(this.port) || port > 65535)
      throw new LockstepError('INVALID_INPUT', `--port ${JSON.stringify(this.port)} is not valid: expected a whole number from 0 to 65535.`, { flag: '--port' })
    const narration = this.json ? this.context.stderr : this.context.stdout
    const print = (line: string) => narration.write(`${line}\n`)
    const controller = new AbortController()
    const demo = new DemoRun()
    let finished = false
    const interrupt = () => {
      if (controller.signal.aborted) return
      print(finished ? 'Stopping the dashboard…' : 'Interrupted: stopping the servers and the dashboard…')
      controller.abort()
      void demo.stop()
    }
    process.on('SIGINT', interrupt)
    process.on('SIGTERM', interrupt)
    try {
      const result = await runDemo(
        {
          dir: this.dir,
          paceMs: this.fast ? 0 : PACE_MS,
          port,
          cwd: this.context.cwd,
          env: this.context.env,
          print,
          onDashboard: (url) => {
            if (this.open && !openInBrowser(url)) print('No browser opener found: open the URL above yourself.')
          },
          signal: controller.signal,
        },
        demo,
      )
      finished = true
      if (this.holdDashboard()) {
        print(`The dashboard stays up at ${result.dashboardUrl}; press Ctrl-C to stop it.`)
        await new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }))
      }
      await demo.stop()
      if (this.json) this.outJson(result)
      else this.out(finalLines(result, this.context.env))
      return result.check.ok ? 0 : 1
    } catch (error) {
      if (!controller.signal.aborted) throw error
      print('Stopped: no server, dashboard or lock of the demo is left.')
      return 130
    } finally {
      process.off('SIGINT', interrupt)
      process.off('SIGTERM', interrupt)
    }
  }

  /** Someone watching keeps the dashboard to look around; a test or a pipe gets the process back at once. */
  private holdDashboard(): boolean {
    return !this.fast && !this.json && Boolean((this.context.stdin as NodeJS.ReadStream).isTTY)
  }
}

function finalLines(result: Awaited<ReturnType<typeof runDemo>>, env: NodeJS.ProcessEnv): string {
  // from a clone without `npm link`, lockstep-mcp is not on PATH: name the command that works here
  const me = onPath('lockstep-mcp', env) ? 'lockstep-mcp' : `${shellQuote(process.execPath)} ${shellQuote(cliPath())}`
  return [
    `Done in ${result.seconds} s. The repository is ${displayPath(result.repo)}; lockstep-mcp check: ${result.check.ok ? 'ok' : 'FAIL'}.`,
    'Next:',
    `  cd ${shellQuote(result.repo)} && git log --oneline && ${me} check`,
    `  LOCKSTEP_HOME=${shellQuote(result.home)} ${me} dashboard --project ${shellQuote(result.repo)}   # the demo's board again`,
    `  ${me} install   # then set up your own project: see the README`,
  ].join('\n')
}

/** A word as POSIX shells read it: plain when safe, else in single quotes. */
function shellQuote(word: string): string {
  return /^[\w./:@%+=-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`
}

function onPath(program: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(join(dir, program), constants.X_OK)
        return true
      } catch {
        return false
      }
    })
}
