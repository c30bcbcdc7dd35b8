import { basename, isAbsolute, relative, sep } from 'node:path'
import { displayPath } from '../../lib/state/projects.js'
import type { ClientStatus, StatusReport } from '../../lib/status/status-report.js'
import { CLIENT_LABELS as LABELS } from '../../lib/clients/clients.js'
const CODES = { green: 32, red: 31, yellow: 33, dim: 2 } as const
type Paint = (colour: keyof typeof CODES, text: string) => string

/** The text report of `status` (docs/cli.md#status). `color` adds ANSI colours; pass it only for a terminal without NO_COLOR. */
export function formatStatus(report: StatusReport, options: { color: boolean; cwd: string }): string {
  const paint: Paint = (colour, text) => (options.color ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text)
  const lines = [`lockstep-mcp v${report.version}   home ${displayPath(report.home)}   data ${displayPath(report.dataDir)}`, 'Clients']
  const rows = report.clients.map((row) => [
    LABELS[row.client],
    row.scope,
    row.scope === 'project' ? shownFile(row.file, options.cwd) : displayPath(row.file),
    row.name ?? '–',
    row.state,
    describeClient(row),
  ])
  const widths = [0, 1, 2, 3, 4].map((column) => Math.max(...rows.map((row) => row[column]!.length)))
  for (const row of rows) {
    const cells = row.slice(0, 5).map((cell, column) => cell.padEnd(widths[column]!))
    const state = row[4] === 'ok' ? paint('green', cells[4]!) : row[4] === 'not installed' ? paint('dim', cells[4]!) : paint('red', cells[4]!)
    lines.push(`  ${[...cells.slice(0, 4), state].join('  ')}  ${row[5]}`.trimEnd())
  }
  const project = report.project
  if (project) {
    const store = project.storeExists ? displayPath(project.storeDir) : `${displayPath(project.storeDir)} (not created yet)`
    lines.push(`Project  ${project.name}  ${displayPath(project.root)}   store ${store}`)
    const yes = (present: boolean) => (present ? 'yes' : paint('yellow', 'no'))
    const files = Object.entries(project.instructions).map(([file, present]) => `${file} ${yes(present)}`)
    lines.push(`  instructions  ${files.join('  ')}   snapshot .lockstep/state.json ${yes(project.snapshot)}`)
    if (project.guards.length) lines.push(`  guards        ${project.guards.map((guard) => `${guard.guard} ${yes(guard.installed)}`).join('  ')}`)
    const tasks = project.tasks
      ? `tasks ${project.tasks.total} (todo ${project.tasks.todo}, in_progress ${project.tasks.in_progress}, blocked ${project.tasks.blocked}, review ${project.tasks.review}, done ${project.tasks.done})`
      : `tasks ${paint('red', 'unreadable')}`
    lines.push(`  status ${project.status ?? paint('red', 'unreadable')}   ${tasks}`)
    const count = (value: number | null, text: (n: number) => string) => (value === null ? paint('red', 'unreadable') : text(value))
    const discussions = project.discussions ? `${project.discussions.waiting} waiting, ${project.discussions.blocking} blocking` : paint('red', 'unreadable')
    lines.push(`  locks ${count(project.locks, (n) => `${n} active`)}   notes ${count(project.notes, String)}   discussions ${discussions}`)
    if (project.implementers === null) lines.push(`  implementers  ${paint('red', 'unreadable')}`)
    else if (project.implementers.length) {
      const shown = project.implementers.map((agent) => {
        const where = agent.tmuxPane ? ` (tmux ${agent.tmuxPane})` : ''
        const since = agent.liveness === 'gone' && agent.goneSince ? ` since ${clock(agent.goneSince)}` : ''
        const liveness = agent.liveness === 'alive' ? paint('green', agent.liveness) : agent.liveness === 'gone' ? paint('yellow', agent.liveness) : agent.liveness
        return `${agent.name} ${agent.type} ${liveness}${since}${where}`
      })
      lines.push(`  implementers  ${shown.join('   ')}`)
    } else lines.push('  implementers  none')
  }
  const dashboard = report.dashboard
  if (!dashboard) lines.push('Dashboard  not running')
  else if (dashboard.alive) lines.push(`Dashboard  ${dashboard.url} (pid ${dashboard.pid})`)
  else lines.push(`Dashboard  not running (dashboard.json names pid ${dashboard.pid}, which has exited)`)
  if (report.problems.length) {
    lines.push(paint('red', 'Problems'))
    for (const problem of report.problems) lines.push(`  - ${problem.message}`)
  }
  if (report.next.length) {
    lines.push('Next')
    for (const step of report.next) lines.push(`  - ${step}`)
  }
  return `${lines.join('\n')}\n`
}

function describeClient(row: ClientStatus): string {
  if (row.state === 'not installed') return row.found ? '' : '(no file)'
  if (row.state === 'unreadable') return row.problem ?? ''
  const what = row.url ?? [row.command ? basename(row.command) : '', ...(row.args ?? []).map(shorten)].join(' ')
  const legacy = row.legacy ? ' (old entry; install replaces it)' : ''
  if (row.state === 'broken') return `${row.problem}; ${row.fix}${legacy}`
  return `${what}${legacy}`
}

/** A long absolute path as `…/<last two segments>`, the way the report shows scripts. */
function shorten(arg: string): string {
  if (!isAbsolute(arg)) return arg
  const parts = arg.split(/[\\/]/).filter(Boolean)
  return parts.length > 2 ? `…/${parts.slice(-2).join('/')}` : arg
}

function shownFile(file: string, cwd: string): string {
  const rel = relative(cwd, file)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? `.${sep}${rel}` : displayPath(file)
}

function clock(iso: string): string {
  const match = /T(\d\d:\d\d)/.exec(iso)
  return match ? `${match[1]}Z` : iso
}
