// The README screenshot: a project in mid-flight, written by three real MCP server processes, shown in headless
// Chromium. Run after `npm run build`: node --import tsx bench/screenshot.ts [out.png] [--dark]
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createWorktree } from '../lib/git/index.js'
import { dashboardFor, fixture, launchChromium, populate } from '../test/support/dashboard-helpers.js'
import { commitAll, git } from '../test/support/git-helpers.js'

const args = process.argv.slice(2)
const dark = args.includes('--dark')
const out = args.find((arg) => !arg.startsWith('--')) ?? fileURLToPath(new URL('../docs/dashboard.png', import.meta.url))

const cleanups: (() => unknown)[] = []
const t = { after: (fn: () => unknown) => void cleanups.push(fn) }
try {
  const fx = fixture(t)
  git(fx.repo, 'init', '-q', '-b', 'main')
  writeFileSync(join(fx.repo, 'README.md'), '# expenses\n')
  commitAll(fx.repo, 'initial')
  const worktree = await createWorktree({ root: fx.repo, name: 'impl-1' })
  writeFileSync(join(worktree.path, 'parse.ts'), 'export {}\n')
  commitAll(worktree.path, 'parser')
  const team = await populate(t, fx)
  const dashboard = await dashboardFor(t, fx)
  const browser = await launchChromium(t)
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: dark ? 'dark' : 'light', deviceScaleFactor: 1 })
  await page.goto(dashboard.info.url)
  await page.waitForSelector(`[data-task-id="${team.ids.review}"]`)
  await page.waitForSelector('#worktrees .row')
  await page.click('#discussions summary')
  await page.evaluate('window.scrollTo(0, 0)')
  await page.screenshot({ path: out, fullPage: true })
  console.log(`wrote ${join(out)}`)
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup()
}
