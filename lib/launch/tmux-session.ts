import * as v from 'valibot'
import { LockstepError } from '../errors.js'
import { openTmuxWindow, run, splitTmuxPane, tmuxMajor, tmuxSessionExists, type TmuxPane } from './launchers.js'
import { parseInput } from '../core/validate.js'
import { AgentWindowsFields, humanCtx, windowCommands, type WindowCommands } from './_agent-windows.js'
import type { LockstepStore } from '../state/context.js'
import type { Settings } from '../state/settings.js'
import { requirePrograms } from './agent-windows-plan.js'
import { recordLaunch, releaseReservation, reserveImplementer, type LaunchPlan } from './_launch-records.js'

const TmuxSessionInput = v.strictObject({
  ...AgentWindowsFields,
  session: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,40}$/, '1–40 characters of A-Z a-z 0-9 _ -')), 'lockstep'),
  layout: v.optional(v.picklist(['windows', 'panes']), 'windows'),
  split: v.optional(v.picklist(['vertical', 'horizontal']), 'vertical'),
})

export interface TmuxSessionResult {
  session: string
  /** The session was already running: nothing was started or changed. */
  existed: boolean
  windows: { name: string; windowId: string; paneId: string }[]
  implementer?: string
}

/**
 * Start a planner, one implementer (registered like launch_implementer) and the dashboard in a tmux session
 * (docs/cli.md#tmux). An existing session is left as it is. Throws INVALID_INPUT, CONFLICT, UNAVAILABLE.
 */
export async function startTmuxSession(store: LockstepStore, settings: Settings, raw: unknown, host: { env: NodeJS.ProcessEnv; cwd: string }): Promise<TmuxSessionResult> {
  const input = parseInput(TmuxSessionInput, raw)
  if ((await tmuxMajor()) === null) {
    throw new LockstepError('UNAVAILABLE', 'tmux is not installed or does not run (tmux -V failed); install it (apt install tmux, brew install tmux), or use lockstep-mcp macos on macOS.', {
      program: 'tmux',
    })
  }
  const { session } = input
  if (await tmuxSessionExists(session)) return { session, existed: true, windows: [] }
  await requirePrograms(input, host.env, 'tmux')
  const { ctx, project } = humanCtx(store, settings, input.repo, host.cwd)
  const plan: LaunchPlan = { type: 'codex', isolation: 'shared', launcher: 'tmux', launchedBy: ctx.caller.sessionId }
  const reservation = await reserveImplementer(ctx, project, plan)
  const commands = windowCommands(ctx, project, input, reservation.name, session)
  let opened: { planner: TmuxPane; implementer: TmuxPane; dashboard?: TmuxPane }
  try {
    opened = await openWindows(session, project.root, reservation.name, input, commands)
  } catch (error) {
    await releaseReservation(ctx, project, reservation).catch(() => undefined)
    await run('tmux', ['kill-session', '-t', `=${session}`])
    const byHand = [commands.planner, commands.implementer, ...(commands.dashboard ? [commands.dashboard] : [])]
    throw new LockstepError('UNAVAILABLE', `tmux could not open the windows (${(error as Error).message}); nothing was left running. Start the agents by hand:\n${byHand.join('\n')}`, {
      commands: byHand,
    })
  }
  await recordLaunch(ctx, project, reservation, { ...plan, name: reservation.name }, { pane: opened.implementer })
  const row = (name: string, pane: TmuxPane) => ({ name, windowId: pane.windowId, paneId: pane.paneId })
  return {
    session,
    existed: false,
    implementer: reservation.name,
    windows: [row('planner', opened.planner), row(reservation.name, opened.implementer), ...(opened.dashboard ? [row('dashboard', opened.dashboard)] : [])],
  }
}

type Layout = v.InferOutput<typeof TmuxSessionInput>

/** Windows and panes are targeted by id, never by index, so any base-index works. */
async function openWindows(session: string, cwd: string, name: string, input: Layout, commands: WindowCommands) {
  const planner = await openTmuxWindow({ session, name: 'planner', cwd, command: commands.planner })
  const implementer =
    input.layout === 'panes'
      ? await splitTmuxPane({ session, target: planner.paneId, split: input.split, cwd, command: commands.implementer })
      : await openTmuxWindow({ session, name, cwd, command: commands.implementer })
  const dashboard = commands.dashboard ? await openTmuxWindow({ session, name: 'dashboard', cwd, command: commands.dashboard }) : undefined
  return { planner, implementer, ...(dashboard ? { dashboard } : {}) }
}
