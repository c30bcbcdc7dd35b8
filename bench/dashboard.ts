// Dashboard live updates: how long after another process writes the store a change reaches an SSE subscriber, and
// how long after an MCP call a new task is on screen in headless Chromium. The bound is 300 ms.
// Run after `npm run build`: node --import tsx bench/dashboard.ts
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { CHROMIUM, dashboardFor, fixture, launchChromium, subscribe } from '../test/support/dashboard-helpers.js'
import { startAgent } from '../test/support/mcp-helpers.js'
import { ms, percentile, table } from './_stats.js'

const WRITES = 50
const ON_SCREEN = 20

export async function benchDashboard(): Promise<string> {
  const cleanups: (() => unknown)[] = []
  const t = { after: (fn: () => unknown) => void cleanups.push(fn) }
  try {
    const fx = fixture(t)
    const agent = await startAgent(t, { home: fx.home, cwd: fx.repo })
    await agent.ok('coordination_init', { role: 'planner' })
    const dashboard = await dashboardFor(t, fx)
    const events = await subscribe(t, `${dashboard.base}/api/events`)
    const afterWrite: number[] = []
    const afterCall: number[] = []
    for (let i = 0; i < WRITES; i++) {
      const started = Date.now()
      await agent.ok('note_append', { text: `note ${i}` })
      const change = await events.next((event) => event.event === 'change' && event.data.changed.includes('notes'), 10_000)
      afterWrite.push(change.at - statSync(join(fx.dataDir, 'projects', change.data.project, 'notes.json')).mtimeMs)
      afterCall.push(change.at - started)
    }
    const rows: (string | number)[][] = [['dashboard live update', 'median', 'p95', 'max']]
    const add = (name: string, values: number[]) => rows.push([name, ms(percentile(values, 50)), ms(percentile(values, 95)), ms(Math.max(...values))])
    add(`SSE event after the file write (${WRITES})`, afterWrite)
    add(`SSE event after the MCP call started (${WRITES})`, afterCall)
    if (existsSync(CHROMIUM)) {
      const browser = await launchChromium(t)
      const page = await browser.newPage()
      await page.goto(dashboard.info.url)
      await page.locator('#live[data-state="live"]').waitFor()
      const onScreen: number[] = []
      for (let i = 0; i < ON_SCREEN; i++) {
        const started = performance.now()
        const task = await agent.ok('task_create', { title: `Task ${i}`, complexity: 'simple' })
        await page.locator(`[data-task-id="${task.id}"]`).waitFor()
        onScreen.push(performance.now() - started)
      }
      add(`task on screen after task_create started (${ON_SCREEN})`, onScreen)
    }
    return table(rows)
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchDashboard())
