import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { appleScriptString } from '../core/quote.js'

/** Where a launched agent runs in tmux. `socket` is the server's socket, so later probes reach the same server. */
export interface TmuxPane {
  session: string
  windowId: string
  paneId: string
  pid: number
  socket?: string
}

interface RunResult {
  status: number | null
  stdout: string
  stderr: string
  missing: boolean
}

const TIMEOUT_MS = 10_000
const PANE_FORMAT = '#{window_id} #{pane_id} #{pane_pid} #{socket_path}'

/** Run a program without a shell; never rejects. `missing` when the program is not on PATH. */
export function run(file: string, args: string[], timeout = TIMEOUT_MS): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', timeout, windowsHide: true }, (error, stdout, stderr) => {
      const code = (error as NodeJS.ErrnoException | null)?.code
      resolve({
        status: error ? (typeof code === 'number' ? code : null) : 0,
        stdout: String(stdout ?? ''),
        stderr: String(stderr ?? error?.message ?? ''),
        missing: code === 'ENOENT',
      })
    })
  })
}

/** The major version of the tmux on PATH, or null when `tmux -V` does not work. */
export async function tmuxMajor(): Promise<number | null> {
  const result = await run('tmux', ['-V'])
  if (result.status !== 0) return null
  const match = /(\d+)\.\d+/.exec(result.stdout)
  // builds from source say "tmux master" or "tmux next-3.5": treat them as current
  return match ? Number(match[1]) : 99
}

export async function tmuxSessionExists(session: string): Promise<boolean> {
  return (await run('tmux', ['has-session', '-t', `=${session}`])).status === 0
}

/** How tmux should run a command: tmux 3 executes an argv directly, older versions hand one string to its shell. */
function commandArgs(major: number, command: string): string[] {
  return major >= 3 ? ['sh', '-c', command] : [command]
}

/**
 * Open a detached window `name` running `command` in `session`, creating the session (with session-scoped options
 * only) when it is missing. Throws an Error with tmux's own message when tmux refuses or is missing.
 */
export async function openTmuxWindow(options: { session: string; name: string; cwd: string; command: string }): Promise<TmuxPane> {
  const { session, name, cwd, command } = options
  const major = await tmuxMajor()
  if (major === null) throw new Error('tmux is not installed or does not run (tmux -V failed)')
  const tail = ['-n', name, '-c', cwd, '-P', '-F', PANE_FORMAT, ...commandArgs(major, command)]
  let result: RunResult | null = null
  if (!(await tmuxSessionExists(session))) {
    result = await run('tmux', ['new-session', '-d', '-s', session, ...tail])
    if (result.status === 0) await styleSession(session)
    // another launch may have created the session meanwhile: then add a window to it
    else if (!(await tmuxSessionExists(session))) throw new Error(result.stderr.trim() || 'tmux new-session failed')
  }
  if (result?.status !== 0) result = await run('tmux', ['new-window', '-d', '-t', `=${session}:`, ...tail])
  if (result.status !== 0) throw new Error(result.stderr.trim() || 'tmux new-window failed')
  return { session, ...parsePane(result.stdout) }
}

/** Split `target` (a pane id) and run `command` in the new pane: `vertical` side by side, `horizontal` stacked. */
export async function splitTmuxPane(options: { session: string; target: string; split: 'vertical' | 'horizontal'; cwd: string; command: string }): Promise<TmuxPane> {
  const major = (await tmuxMajor()) ?? 3
  const flag = options.split === 'vertical' ? '-h' : '-v'
  const result = await run('tmux', ['split-window', '-d', flag, '-t', options.target, '-c', options.cwd, '-P', '-F', PANE_FORMAT, ...commandArgs(major, options.command)])
  if (result.status !== 0) throw new Error(result.stderr.trim() || 'tmux split-window failed')
  return { session: options.session, ...parsePane(result.stdout) }
}

function parsePane(stdout: string): Omit<TmuxPane, 'session'> {
  const [windowId, paneId, pid, ...socket] = stdout.trim().split(' ')
  if (!windowId || !paneId || !/^\d+$/.test(pid ?? '')) throw new Error(`unexpected tmux output: ${stdout.trim()}`)
  return { windowId, paneId, pid: Number(pid), ...(socket.length ? { socket: socket.join(' ') } : {}) }
}

/** A label and key hints in the status bar, set on this session only (never -g). */
async function styleSession(session: string): Promise<void> {
  const options: [string, string][] = [
    ['status-left', '[lockstep] '],
    ['status-left-length', '20'],
    ['status-right', ' C-b w windows | C-b d detach '],
  ]
  for (const [name, value] of options) await run('tmux', ['set-option', '-t', `=${session}:`, name, value])
}

/**
 * The panes of the tmux server at `socket` (the default server without one): pane id → dead. Empty when no server
 * runs there; null when tmux cannot tell (not installed, or another failure).
 */
export async function listTmuxPanes(socket?: string): Promise<Map<string, { dead: boolean; pid: number }> | null> {
  let result: RunResult | null = null
  for (let attempt = 0; attempt < 2; attempt++) {
    if (socket && !existsSync(socket)) return new Map()
    result = await run('tmux', [...(socket ? ['-S', socket] : []), 'list-panes', '-a', '-F', '#{pane_id} #{pane_dead} #{pane_pid}'])
    if (result.missing) return null
    if (result.status === 0) break
    // a server that is not running, or is shutting down, has no panes; any other failure proves nothing
    if (/no server running|error connecting to .*\((No such file|Connection refused)|server exited|lost server/i.test(result.stderr)) return new Map()
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  if (result?.status !== 0) return null
  const panes = new Map<string, { dead: boolean; pid: number }>()
  for (const line of result.stdout.split('\n')) {
    const [id, dead, pid] = line.trim().split(' ')
    if (id) panes.set(id, { dead: dead === '1', pid: Number(pid) })
  }
  return panes
}

/** Close a pane this server opened, after checking it still runs the pid recorded for it; returns whether it did. */
export async function closeTmuxPane(pane: { paneId: string; socket?: string }, pid: number | undefined): Promise<boolean> {
  const panes = await listTmuxPanes(pane.socket)
  const found = panes?.get(pane.paneId)
  if (!found || (pid !== undefined && found.pid !== pid)) return false
  const closed = (await run('tmux', [...(pane.socket ? ['-S', pane.socket] : []), 'kill-pane', '-t', pane.paneId])).status === 0
  if (pid !== undefined) {
    try {
      process.kill(pid, 'SIGTERM')
    } catch {
      // the pane's hangup ended it already
    }
  }
  return closed
}

/** Whether Terminal.app can be driven here: macOS with osascript. */
export async function terminalAvailable(): Promise<boolean> {
  return process.platform === 'darwin' && !(await run('osascript', ['-e', 'return 1'])).missing
}

/** Open a Terminal.app window running `command`, with one osascript call. Throws an Error with the reason. */
export async function openTerminalWindow(command: string): Promise<void> {
  if (process.platform !== 'darwin') throw new Error(`Terminal.app needs macOS; this is ${process.platform}`)
  const result = await run('osascript', ['-e', `tell application "Terminal" to do script ${appleScriptString(command)}`, '-e', 'tell application "Terminal" to activate'])
  if (result.missing) throw new Error('osascript is not available')
  if (result.status !== 0) throw new Error(result.stderr.trim() || 'osascript failed')
}
