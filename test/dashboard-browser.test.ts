import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { NO_BROWSER, dashboardFor, fixture, launchChromium, populate, taskOnDisk } from './support/dashboard-helpers.js'

// rebound.test stands for a name an attacker points at 127.0.0.1 (DNS rebinding)
const BROWSER_ARGS = ['--host-resolver-rules=MAP rebound.test 127.0.0.1', '--disable-features=HttpsUpgrades']

test('the board shows what agents did through MCP, follows new work live, and an approval click lands on disk', { timeout: 180_000, skip: NO_BROWSER }, async (t) => {
  const fx = fixture(t)
  const team = await populate(t, fx)
  const dashboard = await dashboardFor(t, fx)
  const browser = await launchChromium(t, BROWSER_ARGS)
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  let loads = 0
  page.on('load', () => loads++)
  await page.goto(dashboard.info.url)

  const inColumn = (status: string, id: string) => page.locator(`.column[data-status="${status}"] [data-task-id="${id}"]`)
  await inColumn('review', team.ids.review).waitFor()
  for (const [status, id] of [
    ['todo', team.ids.waiting],
    ['in_progress', team.ids.progress],
    ['done', team.ids.done],
    ['blocked', team.ids.blocked],
  ]) {
    assert.equal(await inColumn(status, id).count(), 1, `${id} in ${status}`)
  }
  assert.equal(await page.locator(`#locks [data-lock-id="${team.lockId}"]`).count(), 1)
  assert.ok((await page.locator('#notes .note').allTextContents()).some((text) => text.includes('second bank uses')))
  assert.equal(await page.locator('#agents .dot.alive').count(), 3)
  await page.locator('#live[data-state="live"]').waitFor()

  const started = Date.now()
  const later = await team.planner.ok('task_create', { title: 'Write the monthly report', complexity: 'simple' })
  await inColumn('todo', later.id).waitFor({ timeout: 10_000 })
  t.diagnostic(`new task on screen ${Date.now() - started} ms after task_create was sent`)
  assert.equal(loads, 1, 'no reload')

  await page.click(`[data-task-id="${team.ids.review}"] [data-action="approve"]`)
  await waitFor(async () => (await taskOnDisk(fx, team.ids.review)).status === 'done')
  assert.equal((await taskOnDisk(fx, team.ids.review)).approvedBy, 'human')
  await inColumn('done', team.ids.review).waitFor({ timeout: 10_000 })
  assert.equal(await inColumn('todo', team.ids.waiting).locator('.dep.met').count(), 1, 'the dependent task is no longer waiting')
})

test('the browser refuses to carry a cross-origin POST or a rebound Host into an action', { timeout: 180_000, skip: NO_BROWSER }, async (t) => {
  const fx = fixture(t)
  const team = await populate(t, fx)
  const dashboard = await dashboardFor(t, fx)
  const { port, token } = dashboard.info
  const browser = await launchChromium(t, BROWSER_ARGS)
  const page = await browser.newPage()
  const projectId = ((await (await fetch(`${dashboard.base}/api/projects`)).json()) as any).projects[0].id
  const actionPath = `/api/projects/${projectId}/actions/approve`

  const attacker = createServer((_req, res) => res.end('<!doctype html><title>elsewhere</title>'))
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
  t.after(() => void attacker.close())
  await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`)
  const refused = page.waitForResponse((response) => response.url().endsWith(actionPath))
  await page.evaluate(
    async ({ url, id }) => {
      // a "simple" request: no preflight, so it reaches the server and only the Origin check stops it
      await fetch(url, { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ id }) })
    },
    { url: `http://127.0.0.1:${port}${actionPath}`, id: team.ids.review },
  )
  assert.equal((await refused).status(), 403)

  const rebound = await page.goto(`http://rebound.test:${port}/#token=${token}`)
  assert.equal(rebound?.status(), 403)
  const statuses = await page.evaluate(
    async ({ path, token, id }) => {
      const read = await fetch(`/api/projects`)
      const write = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify({ id }) })
      return [read.status, write.status]
    },
    { path: actionPath, token, id: team.ids.review },
  )
  assert.deepEqual(statuses, [403, 403])
  assert.equal((await taskOnDisk(fx, team.ids.review)).status, 'review')
})

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
