import { readStored } from './stored.js'
import type { Documents } from '../../lib/state/schema.js'
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { request } from 'node:http'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { startDashboard, type RunningDashboard } from '../../lib/dashboard/server.js'
import { defaultSettings, type Settings } from '../../lib/state/settings.js'
import { CLI, startAgent, type McpAgent } from './mcp-helpers.js'
import { tempDir } from './helpers.js'

type T = { after: (fn: () => Promise<void> | void) => void }

export interface Fixture {
  home: string
  repo: string
  dataDir: string
}

export function fixture(t: T): Fixture {
  const home = tempDir(t as Parameters<typeof tempDir>[0])
  const repo = join(home, 'repo')
  mkdirSync(join(repo, 'src'), { recursive: true })
  return { home, repo, dataDir: join(home, '.lockstep-mcp') }
}

export interface Team {
  planner: McpAgent
  impl1: McpAgent
  impl2: McpAgent
  ids: { review: string; waiting: string; progress: string; done: string; blocked: string }
  lockId: string
}

/** A project in mid-flight, written through MCP by three real server processes. */
export async function populate(t: T, fx: Fixture): Promise<Team> {
  const opts = (clientName: string) => ({ home: fx.home, cwd: fx.repo, clientName })
  const [planner, impl1, impl2] = await Promise.all([startAgent(t, opts('claude-code')), startAgent(t, opts('codex-mcp-client')), startAgent(t, opts('claude-code'))])
  await planner.ok('coordination_init', { role: 'planner' })
  await planner.ok('project_context_set', {
    description: 'A command-line tool that turns CSV exports into monthly expense reports.',
    endState: 'report.csv is produced for any export, with totals per category; the test suite passes.',
    techStack: ['TypeScript', 'Node 20'],
    acceptanceCriteria: ['Parses exports from both banks', 'Totals match the bank statement to the cent', 'npm test passes'],
    implementationPlan: ['Parse the export', 'Categorise transactions', 'Write the report', 'CLI flags and docs'],
    status: 'in_progress',
  })
  const review = await planner.ok('task_create', { title: 'Parse bank CSV exports', complexity: 'medium', files: ['src/parse.ts'], priority: 'high', tags: ['core'] })
  const waiting = await planner.ok('task_create', { title: 'Add --month and --out flags', complexity: 'medium', files: ['src/cli.ts'], dependsOn: [review.id] })
  const progress = await planner.ok('task_create', { title: 'Categorise transactions by merchant', complexity: 'complex', files: ['src/categorise.ts'], priority: 'urgent' })
  const done = await planner.ok('task_create', { title: 'Set up the test runner', complexity: 'simple', priority: 'low' })
  const blocked = await planner.ok('task_create', { title: 'Support the second bank format', complexity: 'medium', status: 'blocked' })
  await impl1.ok('coordination_init', { role: 'implementer', name: 'impl-1' })
  await impl2.ok('coordination_init', { role: 'implementer', name: 'impl-2' })
  await impl1.ok('task_claim', { id: review.id })
  await impl1.ok('task_submit_for_review', { id: review.id, reviewNotes: 'Handles quoted fields and both date formats; 14 tests added.' })
  await impl2.ok('task_claim', { id: done.id })
  await impl2.ok('task_update', { id: done.id, status: 'done' })
  await impl2.ok('task_claim', { id: progress.id })
  const lock = await impl2.ok('lock_acquire', { path: 'docs/report-format.md', note: 'documenting the columns' })
  await impl1.ok('note_append', { text: 'Parser is in review; the second bank uses ; as separator, noted on the blocked task.' })
  const discussion = await impl2.ok('discussion_start', {
    topic: 'Where do merchant rules live?',
    message: 'A JSON file in the repo, or inside the config?',
    waitingOn: 'planner',
    category: 'architecture',
    priority: 'high',
  })
  await planner.ok('discussion_reply', { discussionId: discussion.id, message: 'A JSON file under rules/, so users can edit it.' })
  await planner.ok('artifact_write', { path: 'design/report-columns.md', content: '# Report columns\n\ndate, merchant, category, amount\n' })
  return { planner, impl1, impl2, ids: { review: review.id, waiting: waiting.id, progress: progress.id, done: done.id, blocked: blocked.id }, lockId: lock.id }
}

/** The dashboard in this process on an OS-chosen port, over the fixture's store. */
export async function dashboardFor(t: T, fx: Fixture, options: { pollMs?: number; settings?: Partial<Settings> } = {}): Promise<RunningDashboard & { base: string }> {
  const { settings: overrides, ...rest } = options
  const settings = defaultSettings({ home: fx.dataDir, dataDir: fx.dataDir, logDir: join(fx.home, 'logs'), ...overrides })
  const dashboard = await startDashboard({ settings, port: 0, ...rest })
  t.after(() => dashboard.close())
  return { ...dashboard, base: `http://127.0.0.1:${dashboard.info.port}` }
}

/** A document of the fixture's only project, read straight from disk. */
export async function docOnDisk(fx: Fixture, name: keyof Documents): Promise<any> {
  const projects = join(fx.dataDir, 'projects')
  const [folder] = readdirSync(projects)
  return readStored(join(projects, folder), name)
}

export async function taskOnDisk(fx: Fixture, id: string): Promise<any> {
  return (await docOnDisk(fx, 'tasks')).tasks.find((task: any) => task.id === id)
}

/** A raw HTTP request, so that Host and Origin can be anything. */
export function rawRequest(base: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const url = new URL(path, base)
  const text = options.body === undefined ? undefined : JSON.stringify(options.body)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: options.method ?? 'GET',
        headers: { ...(text ? { 'Content-Type': 'application/json' } : {}), ...options.headers },
      },
      (res) => {
        let data = ''
        res.on('data', (chunk) => (data += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data ? safeJson(data) : null }))
      },
    )
    req.on('error', reject)
    req.end(text)
  })
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

export const CHROMIUM = process.env.LOCKSTEP_CHROMIUM ?? '/usr/bin/chromium'
/** Why browser tests cannot run here, or undefined. CI installs Debian's chromium, so there a missing one fails. */
export const NO_BROWSER = !existsSync(CHROMIUM) && !process.env.CI ? `${CHROMIUM} is not installed (apt-get install chromium)` : undefined

export async function launchChromium(t: T, extraArgs: string[] = []): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...extraArgs],
  })
  t.after(() => browser.close())
  return browser
}

export interface SseEvent {
  event: string
  data: any
  at: number
}

export async function subscribe(t: { after: (fn: () => void) => void }, url: string) {
  const controller = new AbortController()
  t.after(() => controller.abort())
  const response = await fetch(url, { signal: controller.signal })
  const seen: SseEvent[] = []
  const waiters = new Set<() => void>()
  void (async () => {
    let buffer = ''
    const decoder = new TextDecoder()
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (event && data) seen.push({ event, data: JSON.parse(data), at: Date.now() })
          for (const wake of [...waiters]) wake()
        }
      }
    } catch {
      // aborted at the end of the test
    }
  })()
  return {
    next(match: (event: SseEvent) => boolean, timeoutMs: number): Promise<SseEvent> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const index = seen.findIndex(match)
          if (index === -1) return
          waiters.delete(check)
          clearTimeout(timer)
          resolve(seen.splice(index, 1)[0])
        }
        const timer = setTimeout(() => (waiters.delete(check), reject(new Error('no matching event in time'))), timeoutMs)
        waiters.add(check)
        check()
      })
    },
  }
}

export async function spawnDashboard(t: { after: (fn: () => void) => void }, fx: Fixture, args: string[]) {
  const child = spawn(process.execPath, [CLI, 'dashboard', ...args], { cwd: fx.repo, env: { ...process.env, LOCKSTEP_HOME: fx.dataDir }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => void child.kill('SIGKILL'))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      if (out.includes('\n')) resolve(out.split('\n')[0])
    })
    child.once('exit', (code) => reject(new Error(`dashboard exited with ${code}`)))
  })
  return { url, pid: child.pid!, stop: () => (child.kill('SIGTERM'), exited) }
}

/** Hold a port p in 8787–8798 whose next port is free, so the dashboard's fallback is predictable. */
export async function holdPortPair(t: { after: (fn: () => void) => void }): Promise<number | null> {
  const listen = (port: number) =>
    new Promise<Server | null>((resolve) => {
      const server = createServer()
      server.once('error', () => resolve(null))
      server.listen(port, '127.0.0.1', () => resolve(server))
    })
  for (let port = 8787; port < 8799; port++) {
    const held = await listen(port)
    if (!held) continue
    const next = await listen(port + 1)
    if (next) {
      await new Promise((resolve) => next.close(resolve))
      t.after(() => void held.close())
      return port
    }
    held.close()
  }
  return null
}
