import { spawn } from 'node:child_process'
import { accessSync, constants, existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import * as v from 'valibot'
import type { Ctx } from '../state/context.js'
import { LockstepError } from '../errors.js'
import { projectFor } from '../state/projects.js'
import type { Settings } from '../state/settings.js'
import { ProjectRoot, parseInput } from '../core/validate.js'
import { connectHost } from '../core/hosts.js'
import { dashboardUrl, findRunningDashboard, packageRoot, type DashboardInfo } from './dashboard-discovery.js'

const START_TIMEOUT_MS = 15_000

export const OpenDashboardInput = v.strictObject({ open: v.optional(v.boolean(), true), projectRoot: ProjectRoot })

/** Reuse the dashboard of this store or start one detached, then optionally open it. Throws UNAVAILABLE, NOT_FOUND, FORBIDDEN. */
export async function openDashboard(ctx: Ctx, raw: unknown) {
  const input = parseInput(OpenDashboardInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const running = await findRunningDashboard(ctx.settings.dataDir)
  const info = running ?? (await startDetached(ctx.settings, project.root))
  const url = dashboardUrl(connectHost(info.host), info.port, info.token, project.id)
  const opened = input.open ? openInBrowser(url) : false
  const where = running ? 'The dashboard is already running' : 'Started the dashboard'
  const how = opened ? 'it was opened in the browser' : 'open the URL in a browser (the token in its fragment enables approvals and other actions)'
  return { success: true as const, url, reused: running !== null, opened, message: `${where} at ${url}; ${how}.` }
}

/** `node <dist/cli.js> dashboard` with the same home, data and log folders, detached; resolves once it answers. */
async function startDetached(settings: Settings, cwd: string): Promise<DashboardInfo> {
  const cli = join(packageRoot(), 'dist', 'cli.js')
  const command = [process.execPath, cli, 'dashboard', '--data-dir', settings.dataDir, '--log-dir', settings.logDir]
  const unavailable = (why: string) => new LockstepError('UNAVAILABLE', `The dashboard could not be started (${why}); run it yourself: ${command.join(' ')}`, { command: command.join(' ') })
  if (!existsSync(cli)) throw unavailable(`${cli} is missing; build the package first`)
  let exited: string | null = null
  const child = spawn(command[0], command.slice(1), {
    cwd: existsSync(cwd) ? cwd : settings.dataDir,
    env: { ...process.env, LOCKSTEP_HOME: settings.home },
    detached: true,
    stdio: 'ignore',
  })
  child.on('error', (error) => (exited = error.message))
  child.on('exit', (code) => (exited = `it exited with code ${code}`))
  child.unref()
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline) {
    const info = await findRunningDashboard(settings.dataDir, 500)
    if (info) return info
    // a dashboard that found another one running exits 0 after printing its URL: look once more, then give up
    if (exited !== null) {
      const other = await findRunningDashboard(settings.dataDir, 500)
      if (other) return other
      throw unavailable(exited)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw unavailable(`no answer within ${START_TIMEOUT_MS / 1000} s`)
}

/** Open `url` with open (macOS), start (Windows) or xdg-open, when one is available. Never waits for the browser. */
export function openInBrowser(url: string): boolean {
  const [program, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]]
  if (process.platform !== 'win32' && !onPath(program)) return false
  try {
    const child = spawn(program, args, { detached: true, stdio: 'ignore', windowsVerbatimArguments: process.platform === 'win32' })
    child.on('error', () => undefined)
    child.unref()
    return true
  } catch {
    return false
  }
}

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}
