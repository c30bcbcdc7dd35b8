import { join } from 'node:path'
import * as v from 'valibot'
import type { ProjectRef } from '../../storage/documents.js'
import type { Ctx } from '../state/context.js'
import { isLockstepError, LockstepError } from '../errors.js'
import { createWorktree, removeWorktree, type CreatedWorktree } from '../git/index.js'
import { requirePlanner } from '../state/identity.js'
import { openTerminalWindow, openTmuxWindow, terminalAvailable, tmuxMajor, type TmuxPane } from './launchers.js'
import { projectFor } from '../state/projects.js'
import { ISOLATIONS } from '../state/schema.js'
import { Name, ProjectRoot, parseInput } from '../core/validate.js'
import { guardNewWorktree } from '../guard/guard-setup.js'
import { agentView } from '../agents/agent-views.js'
import { openDashboard } from './dashboard-open.js'
import { repoLockFor } from '../workspace/worktrees.js'
import { agentCommand, freeImplementerName, nameRefusal, recordLaunch, releaseReservation, reserveImplementer, type Launcher, type LaunchPlan } from './_launch-records.js'
import { implementerPrompt } from '../agents/prompts.js'

export const LaunchImplementerInput = v.strictObject({
  type: v.picklist(['claude', 'codex']),
  name: v.optional(Name),
  isolation: v.optional(v.picklist(ISOLATIONS), 'shared'),
  launcher: v.optional(v.picklist(['auto', 'tmux', 'terminal', 'manual']), 'auto'),
  projectRoot: ProjectRoot,
})

/**
 * Start an implementer in tmux, Terminal.app or by hand, in its own worktree when asked. A launch that cannot start
 * registers nothing and removes the worktree it created. Throws CONFLICT, FORBIDDEN, UNAVAILABLE (data.command).
 */
export async function launchImplementer(ctx: Ctx, raw: unknown) {
  const input = parseInput(LaunchImplementerInput, raw)
  requirePlanner(ctx, 'launch_implementer')
  const project = projectFor(ctx, input.projectRoot)
  const agents = await ctx.store.read(project, 'agents')
  const name = input.name ?? freeImplementerName(ctx, { agents })
  const refusal = nameRefusal(ctx, { agents }, name)
  if (refusal) throw refusal

  const worktreePath = input.isolation === 'worktree' ? join(project.root, '.lockstep', 'worktrees', name) : undefined
  const branchName = worktreePath ? `lockstep/${name}` : undefined
  const session = ctx.settings.tmuxSession ?? 'lockstep'
  const commandFor = (launcher: Launcher) =>
    agentCommand(ctx, {
      agentCmd: input.type === 'claude' ? ctx.settings.claudeCmd : ctx.settings.codexCmd,
      name,
      cwd: worktreePath ?? project.root,
      prompt: implementerPrompt({ name, worktreePath, branchName }),
      ...(launcher === 'tmux' ? { tmuxSession: session } : {}),
    })
  const launcher = input.launcher === 'auto' ? await autoLauncher() : input.launcher
  if (launcher === null) throw unavailable('auto', 'neither tmux nor Terminal.app (macOS) is available', commandFor('manual'))
  if (launcher === 'tmux' && (await tmuxMajor()) === null) throw unavailable('tmux', 'tmux is not installed or does not run', commandFor('manual'))
  if (launcher === 'terminal' && !(await terminalAvailable())) throw unavailable('terminal', 'Terminal.app needs macOS with osascript', commandFor('manual'))
  const command = commandFor(launcher)

  const plan: LaunchPlan = { name, type: input.type, isolation: input.isolation, launcher, worktreePath, branchName, launchedBy: ctx.caller.sessionId }
  const reservation = await reserveImplementer(ctx, project, plan)
  let worktree: CreatedWorktree | undefined
  let pane: TmuxPane | undefined
  try {
    if (worktreePath) {
      worktree = await createWorktree({ root: project.root, name, withRepoLock: repoLockFor(project) })
      // the commit guard covers lockstep worktrees as well (a no-op when git's hooks folder is shared)
      await guardNewWorktree(project.root).catch(() => undefined)
    }
    try {
      if (launcher === 'tmux') pane = await openTmuxWindow({ session, name, cwd: worktree?.path ?? project.root, command })
      else if (launcher === 'terminal') await openTerminalWindow(command)
    } catch (error) {
      throw unavailable(launcher, (error as Error).message, commandFor('manual'))
    }
  } catch (error) {
    await releaseReservation(ctx, project, reservation).catch(() => undefined)
    if (worktree?.created) await discardWorktree(project, name)
    throw error
  }

  const agent = await recordLaunch(ctx, project, reservation, plan, { pane, worktree })
  const implementer = agentView(ctx, agent, { agents: await ctx.store.read(project, 'agents') }, ctx.now())
  const attach = pane ? `tmux attach -t ${session}` : undefined
  // the dashboard is a convenience: a launch that started its agent succeeds without it
  const dashboard = await openDashboard(ctx, { open: false, projectRoot: project.root }).catch(() => null)
  return {
    success: true as const,
    implementer,
    launcher,
    command,
    ...(attach ? { attach } : {}),
    isolation: input.isolation,
    ...(worktree ? { worktreePath: worktree.path, branchName: worktree.branch } : {}),
    ...(dashboard ? { dashboardUrl: dashboard.url } : {}),
    dashboardLaunched: dashboard !== null && !dashboard.reused,
    message:
      launcher === 'manual'
        ? `Registered ${agent.name}; start it by running this command in a terminal: ${command}`
        : `${agent.name} (${input.type}) started via ${launcher}${attach ? `; watch it with: ${attach}` : ''}. It registers when it calls coordination_init.`,
  }
}

/** tmux when `tmux -V` works, else Terminal.app on macOS, else none. */
async function autoLauncher(): Promise<Launcher | null> {
  if ((await tmuxMajor()) !== null) return 'tmux'
  return (await terminalAvailable()) ? 'terminal' : null
}

function unavailable(launcher: string, reason: string, command: string): LockstepError {
  return new LockstepError(
    'UNAVAILABLE',
    `Could not start the implementer with launcher ${launcher}: ${reason}. Nothing was registered; run it by hand with data.command, or launch again with launcher "manual".`,
    {
      launcher,
      command,
    },
  )
}

/** Remove a worktree this launch created. It was checked out a moment ago and nothing ran in it. */
async function discardWorktree(project: ProjectRef, name: string): Promise<void> {
  const withRepoLock = repoLockFor(project)
  try {
    await removeWorktree({ root: project.root, name, withRepoLock })
  } catch (error) {
    // a reused branch with commits of its own: drop only the fresh checkout, keep the branch and its commits
    if (isLockstepError(error) && error.code === 'CONFLICT') await removeWorktree({ root: project.root, name, force: true, deleteBranch: false, withRepoLock }).catch(() => undefined)
  }
}
