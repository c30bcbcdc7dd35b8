import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { shellJoin } from '../../lib/core/quote.js'
import { ROOT } from './helpers.js'

export const STAND_IN = join(ROOT, 'test', 'support', 'stand-in-agent.mjs')

/** A private tmux server for this test process: every tmux call here and in our children goes to it. */
export function privateTmux(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'lockstep-tmux-')))
  process.env.TMUX_TMPDIR = dir
  delete process.env.TMUX
  delete process.env.LOCKSTEP_TMUX_SESSION
  process.on('exit', () => {
    spawnSync('tmux', ['kill-server'], { env: process.env, stdio: 'ignore' })
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}

export function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { env: process.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
}

/** The agent command of a stand-in: `node stand-in-agent.mjs <out> [mode]`, quoted for the shell. */
export function standInCommand(out: string, mode?: '--record' | '--idle'): string {
  return shellJoin([process.execPath, STAND_IN, out, ...(mode ? [mode] : [])])
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** The JSON at `path`, or undefined while it is missing or still being written (the stand-ins write it in place). */
export function readJson(path: string): any {
  if (!existsSync(path)) return undefined
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    return undefined
  }
}

/**
 * Stop, when the test ends, the dashboard that a launch started for this data folder. Called after the launch: the
 * pid is read at once, because the folder holding dashboard.json may be removed before this hook runs.
 */
export function stopDashboardAfter(t: { after: (fn: () => void) => void }, dataDir: string): void {
  const info = readJson(join(dataDir, 'dashboard.json'))
  if (typeof info?.pid !== 'number') return
  t.after(() => {
    try {
      process.kill(info.pid, 'SIGTERM')
    } catch {
      // already gone
    }
  })
}
