import assert from 'node:assert/strict'
import { appendFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import test from 'node:test'
import { DOCUMENTS } from '../lib/state/schema.js'
import { Store } from '../storage/store.js'
import { cli, scratch } from './support/cli-helpers.js'
import { task } from './support/store-helpers.js'
import { readStored } from './support/stored.js'

async function populated(t: Parameters<typeof scratch>[0]) {
  const s = scratch(t)
  const store = new Store({ dataDir: s.lockstepHome, documents: DOCUMENTS })
  t.after(() => store.close())
  const project = store.project(s.project)
  // the first commit writes the snapshots and the first restore point; the later ones are only in the journal
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-1')))
  await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task('task-2')))
  await store.transact(project, ['tasks'], (docs) => void (docs.tasks.tasks[0].title = 'renamed'))
  return { s, dir: project.dir }
}

test('doctor finds nothing wrong in a sound store and exits 0', async (t) => {
  const { s } = await populated(t)
  const result = await cli(s, ['doctor', '--json'])
  assert.equal(result.code, 0, result.stderr)
  const report = JSON.parse(result.stdout)
  assert.deepEqual([report.problems, report.facts.commits], [[], 3])
})

test('doctor --repair restores a corrupt document from its restore point and replays the journal, keeping the corrupt copy', async (t) => {
  const { s, dir } = await populated(t)
  writeFileSync(join(dir, 'tasks.json'), '{"schemaVersion": 1, "kind": "tasks",\n "tasks": [ oops')
  const found = await cli(s, ['doctor', '--json'])
  assert.equal(found.code, 1)
  const problem = JSON.parse(found.stdout).problems[0]
  assert.deepEqual([problem.kind, problem.document], ['corrupt_document', 'tasks'])
  const refused = await cli(s, ['doctor', '--repair'])
  assert.equal(refused.code, 1, 'without a terminal and without --yes nothing is repaired')
  assert.match(readFileSync(join(dir, 'tasks.json'), 'utf8'), /oops/)
  const repaired = await cli(s, ['doctor', '--repair', '--yes', '--json'])
  assert.equal(repaired.code, 0, repaired.stderr)
  assert.equal(JSON.parse(repaired.stdout).repaired.length, 1)
  assert.deepEqual(
    (await readStored(dir, 'tasks')).tasks.map((item) => [item.id, item.title]),
    [
      ['task-1', 'renamed'],
      ['task-2', 'task-2'],
    ],
  )
  const kept = readdirSync(join(dir, 'backups')).filter((name) => name.startsWith('tasks.json.corrupt-'))
  assert.equal(kept.length, 1)
  assert.match(readFileSync(join(dir, 'backups', kept[0]), 'utf8'), /oops/)
})

test('doctor --repair cuts a journal where it stops following, keeping the whole journal', async (t) => {
  const { s, dir } = await populated(t)
  const journal = join(dir, 'journal.jsonl')
  const before = readFileSync(journal, 'utf8')
  appendFileSync(journal, `${JSON.stringify({ seq: 9, ts: 'x', id: 'stray', ops: [] })}\n`)
  const found = JSON.parse((await cli(s, ['doctor', '--json'])).stdout)
  assert.equal(found.problems[0].kind, 'journal_gap')
  const repaired = await cli(s, ['doctor', '--repair', '--yes'])
  assert.equal(repaired.code, 0, repaired.stdout + repaired.stderr)
  assert.equal(readFileSync(journal, 'utf8'), before)
  assert.ok(readdirSync(join(dir, 'backups')).some((name) => name.startsWith('journal.jsonl.corrupt-')))
})
