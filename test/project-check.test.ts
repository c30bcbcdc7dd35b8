import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { formatCheck } from '../bin/format/check-format.js'
import { checkSnapshot } from '../lib/project/check.js'
import { renderSnapshot } from '../lib/state/snapshot.js'
import type { Task } from '../lib/state/schema.js'
import { ROOT } from './support/helpers.js'

function fixture(name: string): string | null {
  const file = join(ROOT, 'fixtures', 'check', name, '.lockstep', 'state.json')
  return existsSync(file) ? readFileSync(file, 'utf8') : null
}

const HEADER_FAIL = /^lockstep check: FAIL {2}(\S+) \((\w+), (\d+)\/(\d+) tasks done\)$/
const HEADER_OK = /^lockstep check: ok {2}(\S+) \((\d+)\/(\d+) tasks done\)$/

const cases: [scenario: string, exitCode: 0 | 1 | 3, checks: string[]][] = [
  ['complete', 0, []],
  ['in-review', 1, ['tasks_in_review']],
  ['not-done', 1, ['project_complete', 'tasks_not_done']],
  ['blocking-discussion', 1, ['blocking_discussions']],
  ['missing', 3, []],
  ['invalid-json', 3, []],
  ['invalid-schema', 3, []],
  ['newer-schema', 3, []],
]

for (const [scenario, exitCode, checks] of cases) {
  test(`checkSnapshot on the ${scenario} fixture exits ${exitCode}${checks.length ? ` failing ${checks.join(', ')}` : ''}`, () => {
    const result = checkSnapshot(fixture(scenario))
    assert.equal(result.exitCode, exitCode)
    assert.equal(result.ok, exitCode === 0)
    assert.deepEqual(
      result.failures.map((failure) => failure.check),
      checks,
    )
    if (exitCode === 3) {
      assert.ok(result.error)
      assert.equal(result.project, null)
    } else {
      assert.equal(result.error, undefined)
      assert.equal(result.project?.name, 'my-app')
    }
  })
}

test('checkSnapshot lists every failing item with id, title and status', () => {
  const review = checkSnapshot(fixture('in-review'))
  assert.deepEqual(review.failures[0].items, [{ id: 'task-2b8c1d0e', title: 'Add login form', status: 'review' }])
  const blocking = checkSnapshot(fixture('blocking-discussion'))
  assert.deepEqual(
    blocking.failures[0].items.map(({ id, title, status }) => ({ id, title, status })),
    [{ id: 'disc-9f0a1b2c', title: 'Session storage', status: 'waiting' }],
    'the open discussion that is not blocking is not listed',
  )
  const notDone = checkSnapshot(fixture('not-done'))
  const items = notDone.failures.find((failure) => failure.check === 'tasks_not_done')!.items
  assert.equal(items.length, 12)
  assert.ok(items.every((item) => ['todo', 'in_progress', 'blocked'].includes(item.status)))
  assert.deepEqual(notDone.summary, { total: 13, todo: 6, in_progress: 3, blocked: 3, review: 0, done: 1 })
})

test('formatCheck prints the ok line for a passing project', () => {
  const text = formatCheck(checkSnapshot(fixture('complete')))
  assert.deepEqual(text.split('\n'), ['lockstep check: ok  my-app (7/7 tasks done)', ''])
  assert.match(text.split('\n')[0], HEADER_OK)
})

test('formatCheck prints the FAIL header and one bullet per failed check, items cut to 10 followed by …', () => {
  const lines = formatCheck(checkSnapshot(fixture('not-done'))).split('\n')
  assert.equal(lines.at(-1), '')
  assert.deepEqual(HEADER_FAIL.exec(lines[0])?.slice(1), ['my-app', 'in_progress', '1', '13'])
  const bullets = lines.slice(1, -1)
  assert.equal(bullets.length, 2)
  assert.ok(bullets.every((line) => line.startsWith('- ')))
  const notDone = bullets[1]
  assert.ok(notDone.endsWith(', …'))
  assert.equal(notDone.split(', task-').length, 10, '10 entries shown')
  assert.match(notDone, /task-7k2m9q4x "Rate limits" \(todo\)/)
})

test('formatCheck keeps short lists whole and names who a waiting discussion waits on', () => {
  const lines = formatCheck(checkSnapshot(fixture('blocking-discussion'))).split('\n')
  assert.match(lines[0], HEADER_FAIL)
  assert.equal(lines[1], '- 1 unresolved blocking discussion: disc-9f0a1b2c "Session storage" (waiting on planner)')
  assert.ok(!lines.join('\n').includes('…'))
  assert.equal(formatCheck(checkSnapshot(fixture('in-review'))).split('\n')[1], '- 1 task in review: task-2b8c1d0e "Add login form"')
})

test('checkSnapshot accepts what renderSnapshot writes, including an empty project', () => {
  const empty = checkSnapshot(
    renderSnapshot({
      project: { root: '/r', name: 'fresh', createdAt: '2026-01-01T00:00:00.000Z', context: null, status: 'planning', allDoneAnnounced: false },
      tasks: [],
      discussions: [],
    }),
  )
  assert.equal(empty.exitCode, 1)
  assert.deepEqual(
    empty.failures.map((failure) => failure.check),
    ['project_complete'],
  )
  assert.match(formatCheck(empty).split('\n')[0], HEADER_FAIL)
})

test('checkSnapshot refuses a non-object, a missing schemaVersion and a wrong field type with exit 3', () => {
  for (const text of ['[]', 'null', '{"project": {"name": "x", "status": "complete"}, "tasks": [], "discussions": []}', '{"schemaVersion": 1.5}']) {
    assert.equal(checkSnapshot(text).exitCode, 3, text)
  }
  const state = JSON.parse(fixture('complete')!)
  state.tasks[0] = { ...state.tasks[0], title: 42 } as unknown as Task
  assert.equal(checkSnapshot(JSON.stringify(state)).exitCode, 3)
  assert.match(formatCheck(checkSnapshot(null)), /^lockstep check: error {2}\S/)
})
