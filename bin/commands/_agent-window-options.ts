import { Option } from 'clipanion'
import { cliScriptPath } from '../../lib/core/cli-path.js'
import { planAgentWindows } from '../../lib/launch/agent-windows-plan.js'
import type { LockstepStore } from '../../lib/state/context.js'
import { withStore } from '../../lib/state/open.js'
import type { Settings } from '../../lib/state/settings.js'
import { BaseCommand } from './base.js'

/** The options that `tmux` and `macos` share (docs/cli.md#tmux, docs/cli.md#macos). */
export abstract class AgentWindowsCommand extends BaseCommand {
  repo = Option.String('--repo', { description: 'Repository folder (default: the current folder)' })
  claudeCmd = Option.String('--claude-cmd', 'claude', { description: 'Command that starts the planner (default: claude)' })
  codexCmd = Option.String('--codex-cmd', 'codex', { description: 'Command that starts the implementer (default: codex)' })
  prompts = Option.Boolean('--prompts', true, { description: 'Pass each agent its prompt; --no-prompts starts them without one' })
  dashboard = Option.Boolean('--dashboard', true, { description: 'Open the dashboard too; --no-dashboard leaves it out' })
  dashboardHost = Option.String('--dashboard-host', '127.0.0.1', { description: 'Dashboard address (default 127.0.0.1)' })
  dashboardPort = Option.String('--dashboard-port', '8787', { description: 'Dashboard port (default 8787)' })
  dataDir = Option.String('--data-dir', { description: 'Data folder (default: the home folder)' })
  logDir = Option.String('--log-dir', { description: 'Log folder (default: <home>/logs)' })
  dryRun = Option.Boolean('--dry-run', false, { description: 'Print the windows and their commands, and check the programs exist; start nothing' })

  /** `--dry-run`: the windows and commands, and what is missing; exit 1 when a program is missing. */
  protected async dryRunPlan(launcher: 'tmux' | 'terminal', session?: string): Promise<number> {
    const input = { ...this.windowValues(), launcher, ...(session ? { session } : {}) }
    const plan = await this.withStore((store, settings) => planAgentWindows(store, settings, input, this.context))
    if (this.json) this.outJson(plan)
    else {
      const where = launcher === 'tmux' ? `tmux session ${plan.session}` : 'Terminal.app'
      const width = Math.max(...plan.windows.map((window) => window.name.length))
      this.out([`Would open ${plan.windows.length} windows in ${where} (nothing was started):`, ...plan.windows.map((window) => `  ${window.name.padEnd(width)}  ${window.command}`)].join('\n'))
      if (plan.missing.length) this.context.stderr.write(`error [UNAVAILABLE]: not found on PATH: ${plan.missing.join(', ')}; install them or pass --claude-cmd / --codex-cmd.\n`)
      else this.out('Every program was found. Run the same command without --dry-run to start them.')
    }
    return plan.missing.length ? 1 : 0
  }

  /** Run `use` on the store of --data-dir, closing it after. */
  protected withStore<T>(use: (store: LockstepStore, settings: Settings) => Promise<T>): Promise<T> {
    return withStore({ dataDir: this.dataDir, logDir: this.logDir }, this.context, use)
  }

  protected windowValues(): Record<string, unknown> {
    const { repo, claudeCmd, codexCmd, prompts, dashboard, dashboardHost, dashboardPort, dataDir, logDir } = this
    return { repo, claudeCmd, codexCmd, prompts, dashboard, dashboardHost, dashboardPort, dataDir, logDir, cliPath: cliScriptPath() }
  }
}
