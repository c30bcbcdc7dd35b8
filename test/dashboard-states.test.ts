import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { NO_BROWSER, dashboardFor, fixture, launchChromium, populate } from './support/dashboard-helpers.js'
import { waitGone } from './support/helpers.js'

// LOCKSTEP_SCREENSHOTS=docs writes the screenshots of docs/ (dashboard-<state>.png); tests never need them
const SHOTS = process.env.LOCKSTEP_SCREENSHOTS

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `dashboard-${name}.png`), fullPage: false })
}

function storeDir(dataDir: string): string {
  const projects = join(dataDir, 'projects')
  return join(projects, readdirSync(projects)[0]!)
}

test("loading, review notes and requested changes on the cards, a task timeline, and a gone agent's lock shown as being reclaimed", { timeout: 120_000, skip: NO_BROWSER }, async (t) => {
  const fx = fixture(t)
  const team = await populate(t, fx)
  const dashboard = await dashboardFor(t, fx)
  const browser = await launchChromium(t)
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  // hold the first answer back, so the loading state can be seen
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  await page.route('**/api/projects', async (route) => {
    await held
    await route.continue()
  })
  await page.goto(dashboard.info.url)
  await page.locator('#loading').waitFor({ state: 'visible' })
  await shot(page, 'loading')
  release()
  await page.locator('#loading').waitFor({ state: 'hidden' })
  await page.unroute('**/api/projects')

  const card = (id: string) => page.locator(`[data-task-id="${id}"]`)
  await card(team.ids.review).locator('blockquote.review').waitFor()
  await team.planner.ok('task_request_changes', { id: team.ids.review, feedback: 'Also handle the BOM some banks put first.' })
  await page.locator(`.column[data-status="in_progress"] [data-task-id="${team.ids.review}"] blockquote.feedback`).waitFor({ timeout: 10_000 })
  assert.equal(await card(team.ids.review).locator('blockquote.review.previous').count(), 1, 'the notes of the last round stay with the feedback')

  await card(team.ids.review).locator('[data-action="history"]').click()
  await page.locator('#timeline li[data-type="task.changes_requested"]').waitFor({ timeout: 10_000 })
  const types = await page.locator('#timeline li').evaluateAll((items) => items.map((item) => (item as unknown as { dataset: Record<string, string> }).dataset.type))
  assert.deepEqual(types, ['task.created', 'task.claimed', 'task.submitted', 'task.changes_requested'])
  await page.locator('#timeline').scrollIntoViewIfNeeded()
  await shot(page, 'timeline')

  // impl-2 holds docs/report-format.md; its server dies, and the lock waits out the grace period
  const holder = team.impl2.pid
  process.kill(holder, 'SIGKILL')
  assert.ok(await waitGone(holder))
  await team.planner.ok('note_append', { text: 'impl-2 stopped answering.' })
  await page.locator(`#locks [data-lock-id="${team.lockId}"].reclaiming`).waitFor({ timeout: 10_000 })
  await page.locator('#locks').scrollIntoViewIfNeeded()
  await shot(page, 'reclaiming')
})

test('an unreadable document keeps an error banner with the file and the repair command, until it is repaired', { timeout: 120_000, skip: NO_BROWSER }, async (t) => {
  const fx = fixture(t)
  await populate(t, fx)
  const dashboard = await dashboardFor(t, fx, { pollMs: 200 })
  const browser = await launchChromium(t)
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  await page.goto(dashboard.info.url)
  await page.locator('.column').first().waitFor()
  const notes = join(storeDir(fx.dataDir), 'notes.json')
  writeFileSync(notes, '{"kind": "notes", "oops')
  const banner = page.locator('#error-banner')
  await banner.waitFor({ state: 'visible', timeout: 10_000 })
  assert.equal(await banner.locator('code.file').textContent(), notes)
  const repair = (await banner.locator('code.repair').textContent())!
  await shot(page, 'corrupt')
  await page.waitForTimeout(2000)
  assert.ok(await banner.isVisible(), 'the banner stays while the document is unreadable')
  assert.ok(await page.locator('.column').first().isVisible(), 'the last good board stays under it')
  execFileSync('sh', ['-c', repair])
  await banner.waitFor({ state: 'hidden', timeout: 10_000 })
  // the command either put back a restore point or moved the file aside, so that notes start empty
  if (existsSync(notes)) JSON.parse(readFileSync(notes, 'utf8'))
  else assert.ok(existsSync(`${notes}.broken`))
  assert.ok(await page.locator('#notes').isVisible())
})

test('when the live stream drops the page says it is reconnecting', { timeout: 120_000, skip: NO_BROWSER }, async (t) => {
  const fx = fixture(t)
  await populate(t, fx)
  const dashboard = await dashboardFor(t, fx)
  const browser = await launchChromium(t)
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  await page.goto(dashboard.info.url)
  await page.locator('#live[data-state="live"]').waitFor()
  await dashboard.close()
  await page.locator('#live[data-state="down"]').waitFor({ timeout: 10_000 })
  await shot(page, 'reconnecting')
})
