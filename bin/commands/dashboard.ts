import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Option } from 'clipanion'
import { LockstepError } from '../../lib/errors.js'
import { dashboardUrl, findRunningDashboard, removeDashboardInfo, writeDashboardInfo } from '../../lib/launch/dashboard-discovery.js'
import { connectHost, isLoopbackHost } from '../../lib/core/hosts.js'
import { openInBrowser } from '../../lib/launch/dashboard-open.js'
import { startDashboard } from '../../lib/dashboard/server.js'
import { resolveSettings } from '../../lib/state/settings.js'
import { packageVersion } from '../../lib/core/version.js'
import { projectRef } from '../../storage/projects.js'
import { createLogger } from '../log.js'
import { BaseCommand } from './base.js'

export class DashboardCommand extends BaseCommand {
  static override paths = [['dashboard']]
  static override usage = BaseCommand.Usage({
    description: 'Serve the live dashboard of the store: board, implementers, locks, notes, discussions; approve and unblock from the browser.',
    details: 'stdout carries only the URL line http://<host>:<port>/#token=<token>; logs go to stderr and <logs>/dashboard.log. A dashboard already running for the same data folder is reused.',
  })

  host = Option.String('--host', '127.0.0.1', { description: 'Address to bind (default 127.0.0.1)' })
  port = Option.String('--port', '8787', { description: 'Preferred port; when taken, the next free one up to 8799, then any' })
  project = Option.String('--project', { description: 'Project folder to show first' })
  open = Option.Boolean('--open', false, { description: 'Open the URL in the browser' })
  pollMs = Option.String('--poll-ms', '1500', { description: 'Poll interval where file watching is unavailable (min 200)' })
  dataDir = Option.String('--data-dir', { description: 'Data folder (default: the home folder)' })
  logDir = Option.String('--log-dir', { description: 'Log folder (default: <home>/logs)' })

  async run(): Promise<number> {
    const { settings } = resolveSettings({ dataDir: this.dataDir, logDir: this.logDir }, this.context.env, this.context.cwd, packageVersion())
    const port = whole('--port', this.port, 0, 65535)
    const pollMs = whole('--poll-ms', this.pollMs, 200, 3_600_000)
    const logger = createLogger(settings.logDir, 'dashboard', settings.logLevel, this.context.stderr)
    const projectId = this.projectId(settings.dataDir)
    const running = await findRunningDashboard(settings.dataDir)
    if (running) {
      const url = dashboardUrl(connectHost(running.host), running.port, running.token, this.project ? projectId : undefined)
      logger.log('info', `reusing the dashboard of pid ${running.pid} for ${settings.dataDir}`)
      this.out(url)
      if (this.open) this.openUrl(url, logger)
      return 0
    }
    if (!isLoopbackHost(this.host)) logger.log('warn', `listening on ${this.host}, beyond loopback: reads need the token too; anyone who has the URL can act as human.`)
    const dashboard = await startDashboard({ settings, host: this.host, port, pollMs, initialProject: projectId, log: (level, message) => logger.log(level, message) })
    await writeDashboardInfo(dashboard.info)
    const url = this.project ? dashboardUrl(connectHost(this.host), dashboard.info.port, dashboard.info.token, projectId) : dashboard.info.url
    if (port !== 0 && dashboard.info.port !== port) logger.log('warn', `port ${port} is taken; using ${dashboard.info.port}`)
    logger.log('info', `dashboard of ${settings.dataDir} at http://${this.host}:${dashboard.info.port}/ (pid ${process.pid})`)
    this.out(url)
    if (this.open) this.openUrl(url, logger)
    const stop = (signal: string) => {
      logger.log('info', `stopping (${signal})`)
      removeDashboardInfo(settings.dataDir, process.pid)
      setTimeout(() => process.exit(0), 500).unref()
      void dashboard.close().finally(() => process.exit(0))
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
    await new Promise(() => undefined)
    return 0
  }

  /** `--project`, else the project of the working folder when it has a store; the page falls back to the latest. */
  private projectId(dataDir: string): string | undefined {
    const dir = this.project ?? this.context.cwd
    try {
      const ref = projectRef(dataDir, dir)
      return this.project || existsSync(join(ref.dir, 'project.json')) ? ref.id : undefined
    } catch (error) {
      if (this.project) throw error
      return undefined
    }
  }

  private openUrl(url: string, logger: ReturnType<typeof createLogger>): void {
    if (!openInBrowser(url)) logger.log('warn', 'no browser opener (open, xdg-open or start) was found; open the URL yourself.')
  }
}

function whole(flag: string, value: string, min: number, max: number): number {
  const parsed = Number(value)
  if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
    throw new LockstepError('INVALID_INPUT', `${flag} ${JSON.stringify(value)} is not valid: expected a whole number from ${min} to ${max}.`, { flag, value })
  }
  return parsed
}
