import * as v from 'valibot'
import type { ProjectRef } from '../../storage/documents.js'
import type { Ctx, LockstepStore } from '../state/context.js'
import { buildCtx } from '../state/open.js'
import { newId } from '../core/ids.js'
import { projectFor } from '../state/projects.js'
import { buildPrompts } from '../agents/prompts.js'
import type { Settings } from '../state/settings.js'
import { agentCommand } from './_launch-records.js'
import { shellJoin, shellQuote } from '../core/quote.js'

const Port = v.pipe(v.string(), v.regex(/^\d{1,5}$/, 'a port number'), v.transform(Number), v.maxValue(65535))

/** The options that `tmux` and `macos` share (docs/cli.md#tmux, docs/cli.md#macos). */
export const AgentWindowsFields = {
  repo: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(1024))),
  claudeCmd: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(1000)), 'claude'),
  codexCmd: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(1000)), 'codex'),
  prompts: v.optional(v.boolean(), true),
  dashboard: v.optional(v.boolean(), true),
  dashboardHost: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(255)), '127.0.0.1'),
  dashboardPort: v.optional(Port, '8787'),
  /** The package's CLI entry, which the dashboard window runs. */
  cliPath: v.pipe(v.string(), v.minLength(1)),
  dataDir: v.optional(v.string()),
  logDir: v.optional(v.string()),
}

export interface AgentWindowsOptions {
  repo?: string
  claudeCmd: string
  codexCmd: string
  prompts: boolean
  dashboard: boolean
  dashboardHost: string
  dashboardPort: number
  cliPath: string
  dataDir?: string
  logDir?: string
}

/** A context acting as `human`, as a person at the CLI does, on `store`, for the project of `--repo`. */
export function humanCtx(store: LockstepStore, settings: Settings, repo: string | undefined, cwd: string): { ctx: Ctx; project: ProjectRef } {
  const ctx = buildCtx(store, settings, { sessionId: newId('sess'), cwd, fixedActor: 'human', pid: process.pid })
  return { ctx, project: projectFor(ctx, repo) }
}

export interface WindowCommands {
  planner: string
  implementer: string
  dashboard?: string
}

/** The commands of the planner, implementer and dashboard windows, with the prompts of `lockstep-mcp prompts`. */
export function windowCommands(ctx: Ctx, project: ProjectRef, options: AgentWindowsOptions, implementer: string, tmuxSession?: string): WindowCommands {
  const prompts = buildPrompts({ name: implementer })
  const common = { cwd: project.root, ...(tmuxSession ? { tmuxSession } : {}) }
  const dashboard = shellJoin([
    process.execPath,
    options.cliPath,
    'dashboard',
    '--host',
    options.dashboardHost,
    '--port',
    String(options.dashboardPort),
    '--data-dir',
    ctx.settings.dataDir,
    '--log-dir',
    ctx.settings.logDir,
  ])
  return {
    planner: agentCommand(ctx, { ...common, agentCmd: options.claudeCmd, name: 'planner', ...(options.prompts ? { prompt: prompts.planner } : {}) }),
    implementer: agentCommand(ctx, { ...common, agentCmd: options.codexCmd, name: implementer, ...(options.prompts ? { prompt: prompts.implementer } : {}) }),
    ...(options.dashboard ? { dashboard: `cd ${shellQuote(project.root)} && ${dashboard}` } : {}),
  }
}
