// One benchmark process: `count` locked read-modify-write transactions on the tasks document, timing each. With
// `floor`, 20 rounds of the disk's floor follow every 40 transactions, so both see the machine in the same state.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Store } from '../storage/store.js'
import { DOCUMENTS } from '../lib/state/schema.js'
import { floorRound, type FloorRound } from './_floor.js'

const [dataDir, projectDir, count, startAt, withFloor] = process.argv.slice(2)
const store = new Store({ dataDir, documents: DOCUMENTS })
const project = store.project(projectDir)
const latencies: number[] = []
const floor: FloorRound[] = []
// warm up on a private project first, so the figures are those of a running server, not of cold code
const warmDir = mkdtempSync(join(tmpdir(), 'lockstep-warm-'))
const warm = store.project(warmDir)
const seed = (await store.read(project, 'tasks')).tasks
await store.transact(warm, ['tasks'], (docs) => void docs.tasks.tasks.push(...seed))
for (let i = 0; i < 200; i++) {
  await store.transact(warm, ['tasks'], (docs, tx) => {
    docs.tasks.tasks[i % docs.tasks.tasks.length].version++
    tx.emit({ type: 'task.updated', actor: 'bench', ids: {} })
  })
}
const floorDir = withFloor === 'floor' ? mkdtempSync(join(tmpdir(), 'lockstep-floor-')) : null
while (Date.now() < Number(startAt)) await new Promise((resolve) => setTimeout(resolve, 1))
const began = performance.now()
for (let i = 0; i < Number(count); i++) {
  const started = performance.now()
  await store.transact(project, ['tasks'], (docs, tx) => {
    const task = docs.tasks.tasks[(process.pid + i) % docs.tasks.tasks.length]
    task.version++
    tx.emit({ type: 'task.updated', actor: 'bench', ids: { taskId: task.id } })
  })
  latencies.push(performance.now() - started)
  if (floorDir && (i + 1) % 40 === 0) for (let k = 0; k < 20; k++) floor.push(floorRound(floorDir))
}
// with floor rounds in between, the rate counts only the time spent in transactions
const wallMs = floorDir ? latencies.reduce((sum, took) => sum + took, 0) : performance.now() - began
process.stdout.write(JSON.stringify({ latencies, floor, wallMs }))
rmSync(warmDir, { recursive: true, force: true })
rmSync(warm.dir, { recursive: true, force: true })
if (floorDir) rmSync(floorDir, { recursive: true, force: true })
