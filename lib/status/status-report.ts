import * as v from 'valibot'
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { resolve } from 'node:path'
import type { ProjectRef } from '../../storage/documents.js'
import { processExists } from '../../storage/host.js'
import type { LockstepStore } from '../state/context.js'
import { buildCtx } from '../state/open.js'
import { isLockstepError } from '../errors.js'
import { cliScriptPath } from '../core/cli-path.js'
import { displayPath } from '../state/projects.js'
import { sweepProject } from '../agents/sessions.js'
import type { Settings } from '../state/settings.js'
import { parseInput } from '../core/validate.js'
import { packageVersion } from '../core/version.js'
import { programsRunningAnything } from '../commands/command-guard.js'
import { clientStatuses, type ClientStatus } from './status-clients.js'
import { networkHomeProblems, readDashboard, storesWithMissingRoot, type DashboardStatus } from './_host.js'
import { projectStatus, type Problem, type ProjectStatus } from './_project.js'

export type { ClientStatus, DashboardStatus, Problem, ProjectStatus }

export interface StatusReport {
  version: string
  home: string
  dataDir: string
  clients: ClientStatus[]
  project: ProjectStatus | null
  dashboard: DashboardStatus | null
  problems: Problem[]
  /** What to do next, in order; empty when everything is set up. */
  next: string[]
}

const StatusInput = v.object({
  dir: v.optional(v.string()),
})

/**
 * The report of `lockstep-mcp status` (docs/cli.md#status): client entries, the project of `dir` with its guards, the dashboard and
 * problems. Reading a corrupt document only keeps its backup; the one write is reclaiming a gone agent's claims and
 * locks once its grace period is over, as any server would. Throws INVALID_INPUT.
 */
export async function buildStatusReport(store: LockstepStore, settings: Settings, raw: unknown, host: { env: NodeJS.ProcessEnv; cwd: string; home?: string }): Promise<StatusReport> {
  const input = parseInput(StatusInput, raw)
  const problems: Problem[] = []
  let ref: ProjectRef | null = null
  try {
    ref = store.project(resolve(host.cwd, input.dir ?? '.'))
  } catch (error) {
    if (!isLockstepError(error)) throw error
    problems.push({ kind: error.code === 'NOT_FOUND' ? 'project_missing' : 'store_conflict', message: error.message })
  }
  const clients = clientStatuses({
    home: host.home ?? homedir(),
    env: host.env,
    cliPath: cliScriptPath(),
    ...(ref ? { projectRoot: ref.root } : {}),
  })
  let project: ProjectStatus | null = null
  if (ref) {
    const ctx = buildCtx(store, settings, { sessionId: 'status', cwd: host.cwd })
    // status reclaims too: a gone agent's claims and locks need no other agent's server to be freed
    if (existsSync(ref.dir)) await sweepProject(ctx, ref.root).catch(() => false)
    const section = await projectStatus(ctx, ref)
    project = section.project
    problems.push(...section.problems)
  }
  problems.push(...allowlistProblems(settings.commandMode, settings.commandAllow, clients))
  problems.push(...storesWithMissingRoot(settings.dataDir))
  problems.push(
    ...networkHomeProblems(
      unique([
        { label: 'home', path: settings.home },
        { label: 'data', path: settings.dataDir },
      ]),
    ),
  )
  const dashboard = readDashboard(settings.dataDir, processExists)
  const report = { version: packageVersion(), home: settings.home, dataDir: settings.dataDir, clients, project, dashboard, problems, next: [] }
  return { ...report, next: nextSteps(report) }
}

function nextSteps(report: Omit<StatusReport, 'next'>): string[] {
  const steps: string[] = []
  const { clients, project } = report
  if (clients.some((row) => row.state === 'unreadable')) steps.push('Fix the client configuration files that do not parse (see Clients).')
  if (clients.some((row) => row.state === 'broken' || row.legacy)) steps.push("Run 'lockstep-mcp install' again to repair the broken or old entries.")
  else if (!clients.some((row) => row.state === 'ok')) steps.push("Run 'lockstep-mcp install' to register the server with the coding clients found on this machine.")
  if (project) {
    const where = displayPath(project.root)
    if (!project.storeExists || !project.snapshot) steps.push(`Run 'lockstep-mcp init --dir ${where}' to set up this project.`)
    else if (Object.values(project.instructions).some((present) => !present)) {
      steps.push(`Run 'lockstep-mcp enable --dir ${where}' to put the coordination instructions back into CLAUDE.md, AGENTS.md and GEMINI.md.`)
    }
  }
  if (report.problems.length) steps.push('Fix the problems listed above, under Problems.')
  return steps
}

/** An allowlist that names an interpreter limits nothing: say so, for the environment and for each client entry. */
function allowlistProblems(mode: string, allow: string[], clients: ClientStatus[]): Problem[] {
  const flag = (args: string[], name: string) => {
    const at = args.findIndex((arg) => arg === name || arg.startsWith(`${name}=`))
    return at < 0 ? undefined : args[at]!.includes('=') ? args[at]!.slice(name.length + 1) : args[at + 1]
  }
  const sources = [
    { where: 'the environment (LOCKSTEP_COMMAND_ALLOW)', mode, allow },
    ...clients.flatMap((row) => (row.args ? [{ where: row.file, mode: flag(row.args, '--command-mode') ?? mode, allow: (flag(row.args, '--command-allow') ?? '').split(',').filter(Boolean) }] : [])),
  ]
  return sources.flatMap(({ where, mode, allow }) => {
    const interpreters = mode === 'allowlist' ? programsRunningAnything(allow) : []
    if (!interpreters.length) return []
    return [
      {
        kind: 'allowlist_interpreter' as const,
        message: `The command allowlist in ${where} names ${interpreters.join(', ')}, which run${interpreters.length === 1 ? 's' : ''} any code an agent writes: with ${interpreters.length === 1 ? 'it' : 'them'} allowed, agents can do anything your user can. Remove ${interpreters.length === 1 ? 'it' : 'them'} from --command-allow to make the allowlist mean something.`,
      },
    ]
  })
}

function unique(folders: { label: string; path: string }[]): { label: string; path: string }[] {
  return folders.filter((folder, index) => folders.findIndex((other) => other.path === folder.path) === index)
}
