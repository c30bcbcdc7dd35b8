import * as v from 'valibot'
import { LockstepError } from '../errors.js'
import { openTerminalWindow } from './launchers.js'
import { parseInput } from '../core/validate.js'
import { AgentWindowsFields, humanCtx, windowCommands } from './_agent-windows.js'
import type { LockstepStore } from '../state/context.js'
import type { Settings } from '../state/settings.js'
import { requirePrograms } from './agent-windows-plan.js'
import { recordLaunch, releaseReservation, reserveImplementer, type LaunchPlan } from './_launch-records.js'

const MacosSessionInput = v.strictObject({ ...AgentWindowsFields })

const ATTEMPTS = 4
const RETRY_MS = 500

/**
 * Open Terminal.app windows for the planner, one implementer (registered with launcher `terminal`) and the dashboard
 * (docs/cli.md#macos). Throws INVALID_INPUT, CONFLICT, UNAVAILABLE (off macOS, or when a window cannot be opened: data.commands).
 */
export async function startMacosSession(store: LockstepStore, settings: Settings, raw: unknown, host: { env: NodeJS.ProcessEnv; cwd: string }): Promise<{ windows: string[]; implementer: string }> {
  const input = parseInput(MacosSessionInput, raw)
  if (process.platform !== 'darwin') {
    throw new LockstepError('UNAVAILABLE', `lockstep-mcp macos drives Terminal.app, which needs macOS (this is ${process.platform}); use lockstep-mcp tmux instead.`, {
      platform: process.platform,
      suggestion: 'lockstep-mcp tmux',
    })
  }
  await requirePrograms(input, host.env, 'terminal')
  const { ctx, project } = humanCtx(store, settings, input.repo, host.cwd)
  const plan: LaunchPlan = { type: 'codex', isolation: 'shared', launcher: 'terminal', launchedBy: ctx.caller.sessionId }
  const reservation = await reserveImplementer(ctx, project, plan)
  const commands = windowCommands(ctx, project, input, reservation.name)
  const queue: [string, string][] = [
    ['planner', commands.planner],
    [reservation.name, commands.implementer],
  ]
  if (commands.dashboard) queue.push(['dashboard', commands.dashboard])
  const opened: string[] = []
  for (const [name, command] of queue) {
    try {
      await withRetries(() => openTerminalWindow(command))
    } catch (error) {
      if (opened.includes(reservation.name)) await recordLaunch(ctx, project, reservation, { ...plan, name: reservation.name }, {})
      else await releaseReservation(ctx, project, reservation).catch(() => undefined)
      const byHand = queue.slice(opened.length).map(([, text]) => text)
      throw new LockstepError('UNAVAILABLE', `Terminal.app did not open the ${name} window (${(error as Error).message}); run these by hand:\n${byHand.join('\n')}`, { commands: byHand })
    }
    opened.push(name)
  }
  await recordLaunch(ctx, project, reservation, { ...plan, name: reservation.name }, {})
  return { windows: opened, implementer: reservation.name }
}

async function withRetries(fn: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (error) {
      if (attempt >= ATTEMPTS) throw error
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS))
    }
  }
}
