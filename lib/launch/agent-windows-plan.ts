import * as v from 'valibot'
import { LockstepError } from '../errors.js'
import { tmuxMajor } from './launchers.js'
import { parseInput } from '../core/validate.js'
import { AgentWindowsFields, humanCtx, windowCommands, type AgentWindowsOptions } from './_agent-windows.js'
import type { LockstepStore } from '../state/context.js'
import type { Settings } from '../state/settings.js'
import { freeImplementerName } from './_launch-records.js'
import { findExecutable } from '../status/status-clients.js'

const AgentWindowsPlanInput = v.strictObject({
  ...AgentWindowsFields,
  launcher: v.picklist(['tmux', 'terminal']),
  session: v.optional(v.string(), 'lockstep'),
})

export interface AgentWindowsPlan {
  launcher: 'tmux' | 'terminal'
  session?: string
  /** The windows that would open, in order, with the command each one runs. */
  windows: { name: string; command: string }[]
  /** Programs that are needed and cannot be found (tmux, the planner's and the implementer's commands). */
  missing: string[]
}

/** What `tmux` or `macos` would start, without starting or recording anything (`--dry-run`). Throws INVALID_INPUT. */
export async function planAgentWindows(store: LockstepStore, settings: Settings, raw: unknown, host: { env: NodeJS.ProcessEnv; cwd: string }): Promise<AgentWindowsPlan> {
  const input = parseInput(AgentWindowsPlanInput, raw)
  const { ctx, project } = humanCtx(store, settings, input.repo, host.cwd)
  const implementer = freeImplementerName(ctx, { agents: await ctx.store.read(project, 'agents') })
  const commands = windowCommands(ctx, project, input, implementer, input.launcher === 'tmux' ? input.session : undefined)
  const windows = [
    { name: 'planner', command: commands.planner },
    { name: implementer, command: commands.implementer },
    ...(commands.dashboard ? [{ name: 'dashboard', command: commands.dashboard }] : []),
  ]
  const missing = await missingPrograms(input, host.env, input.launcher)
  return { launcher: input.launcher, ...(input.launcher === 'tmux' ? { session: input.session } : {}), windows, missing }
}

/** The programs `tmux`/`macos` need that are not installed: tmux itself, and the first word of each agent command. */
async function missingPrograms(options: Pick<AgentWindowsOptions, 'claudeCmd' | 'codexCmd'>, env: NodeJS.ProcessEnv, launcher: 'tmux' | 'terminal'): Promise<string[]> {
  const missing: string[] = []
  if (launcher === 'tmux' && (await tmuxMajor()) === null) missing.push('tmux')
  for (const [role, command] of [
    ['planner', options.claudeCmd],
    ['implementer', options.codexCmd],
  ] as const) {
    const program = programOf(command)
    if (program && !findExecutable(program, env)) missing.push(`${program} (the ${role}'s command)`)
  }
  return missing
}

/** Refuse to start windows whose programs are missing, naming each one and how to get it. Throws UNAVAILABLE. */
export async function requirePrograms(options: Pick<AgentWindowsOptions, 'claudeCmd' | 'codexCmd'>, env: NodeJS.ProcessEnv, launcher: 'tmux' | 'terminal'): Promise<void> {
  const missing = await missingPrograms(options, env, launcher)
  if (missing.length === 0) return
  const how =
    'install them (tmux: apt install tmux or brew install tmux; claude: npm i -g @anthropic-ai/claude-code; codex: npm i -g @openai/codex), or name other commands with --claude-cmd and --codex-cmd'
  throw new LockstepError('UNAVAILABLE', `Not found on PATH: ${missing.join(', ')}; ${how}. 'lockstep-mcp ${launcher === 'tmux' ? 'tmux' : 'macos'} --dry-run' shows what would run.`, { missing })
}

/** The program a shell command line runs: its first word after any VAR=value assignments, unquoted. */
function programOf(command: string): string | null {
  const words = command.match(/'[^']*'|"(?:[^"\\]|\\.)*"|\S+/g) ?? []
  const word = words.find((item) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(item))
  return word ? word.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1') : null
}
