import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { checkProjectDir, type CheckResult } from '../../lib/project/check.js'
import { initProject } from '../../lib/project/project-setup.js'
import { withStore } from '../../lib/state/open.js'
import { startDashboardProcess, type DemoAgent } from './agents.js'
import { commit, createDemoRepo } from './_repo.js'
import { play, STEPS } from './script.js'

export interface DemoOptions {
  dir?: string
  /** Milliseconds between steps: 0 with --fast. */
  paceMs: number
  port: number
  cwd: string
  env: NodeJS.ProcessEnv
  /** Narration, one line at a time. */
  print(line: string): void
  /** Called once the dashboard answers, with its URL (to open it in a browser). */
  onDashboard(url: string): void
  signal: AbortSignal
}

export interface DemoResult {
  repo: string
  home: string
  dashboardUrl: string
  /** What the dashboard served once the play ended. */
  dashboard: { status: string; tasks: number; done: number; activeLocks: number }
  check: CheckResult
  seconds: number
}

/** Everything the demo started, so that an interruption can stop all of it. */
export class DemoRun {
  readonly agents: DemoAgent[] = []
  dashboard: ChildProcess | null = null

  /** Close every server (their stdin ends) and stop the dashboard; resolves once all of them have exited. */
  async stop(): Promise<void> {
    const agents = this.agents.splice(0)
    await Promise.all(agents.map((agent) => agent.close()))
    const dashboard = this.dashboard
    this.dashboard = null
    if (dashboard && dashboard.exitCode === null && dashboard.signalCode === null) {
      const exited = new Promise((done) => dashboard.once('exit', done))
      dashboard.kill('SIGTERM')
      await Promise.race([exited, sleep(3000).then(() => dashboard.kill('SIGKILL'))])
    }
  }
}

/** Play the demo in a new repository with a private store; throws on interruption after cleaning up. */
export async function runDemo(options: DemoOptions, run: DemoRun): Promise<DemoResult> {
  const started = Date.now()
  const root = options.dir ? null : realpathSync(mkdtempSync(join(tmpdir(), 'lockstep-demo-')))
  const repo = options.dir ? resolve(options.cwd, options.dir) : join(root!, 'todo-cli')
  const home = root ? join(root, 'home') : realpathSync(mkdtempSync(join(tmpdir(), 'lockstep-demo-home-')))
  // the demo's store is its own: nothing of the user's projects is read or changed
  const env = { ...withoutLockstepSettings(options.env), LOCKSTEP_HOME: home }
  let step = 0
  const say = async (actor: string, text: string) => {
    options.signal.throwIfAborted()
    step += 1
    options.print(`[${String(step).padStart(2)}/${STEPS + 3}] ${actor.padEnd(9)} ${text}`)
    if (options.paceMs > 0) await sleep(options.paceMs, undefined, { signal: options.signal })
  }
  try {
    await createDemoRepo(repo)
    await say('demo', `creates a git repository for todo-cli at ${repo}`)
    await withStore({}, { env, cwd: repo }, (store) => initProject(store, { dir: repo }, { cwd: repo }))
    await commit(repo, 'Coordinate agents with lockstep-mcp')
    await say('demo', 'runs lockstep-mcp init there: the instructions in AGENTS.md (imported by CLAUDE.md and GEMINI.md), and .lockstep/')
    const dashboard = await startDashboardProcess({ cwd: repo, env, port: options.port, project: repo })
    run.dashboard = dashboard.child
    options.print(`Dashboard: ${dashboard.url}`)
    options.onDashboard(dashboard.url)
    await play({ repo, env, say, agents: run.agents })
    const served = await finalView(dashboard.url, options.signal)
    const check = checkProjectDir(repo)
    await say('demo', `the dashboard shows the project ${served.status} (${served.done}/${served.tasks} tasks done); lockstep-mcp check: ${check.ok ? 'ok' : 'FAIL'}`)
    return { repo, home, dashboardUrl: dashboard.url, dashboard: served, check, seconds: Math.round((Date.now() - started) / 100) / 10 }
  } catch (error) {
    await run.stop()
    // an interrupted demo leaves nothing behind: its store, and the repository unless the user named the folder
    rmSync(root ?? home, { recursive: true, force: true })
    throw error
  }
}

/** Read the project back through the dashboard's API until it shows the end of the play (it follows the store within a second). */
async function finalView(url: string, signal: AbortSignal): Promise<DemoResult['dashboard']> {
  const parsed = new URL(url)
  const project = parsed.searchParams.get('project')
  const token = new URLSearchParams(parsed.hash.slice(1)).get('token') ?? ''
  let last: DemoResult['dashboard'] = { status: 'unknown', tasks: 0, done: 0, activeLocks: 0 }
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(100, undefined, { signal })) {
    const response = await fetch(new URL(`/api/projects/${project}`, parsed.origin), { headers: { authorization: `Bearer ${token}` }, signal })
    if (!response.ok) continue
    const view = (await response.json()) as { project: { status: string }; tasks: Array<{ status: string }>; locks: unknown[] }
    last = { status: view.project.status, tasks: view.tasks.length, done: view.tasks.filter((task) => task.status === 'done').length, activeLocks: view.locks.length }
    if (last.status === 'complete' && last.done === last.tasks) break
  }
  return last
}

function withoutLockstepSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !/^(LOCKSTEP_|COORD_)/.test(key)))
}
