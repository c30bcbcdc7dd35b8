// One benchmark process: `count` locked read-modify-write transactions on the tasks document, timing each.
import { performance } from 'node:perf_hooks'
import { Store } from '../storage/store.js'
import { DOCUMENTS } from '../lib/schema.js'

const [dataDir, projectDir, count, startAt] = process.argv.slice(2)
const store = new Store({ dataDir, documents: DOCUMENTS })
const project = store.project(projectDir)
const latencies: number[] = []
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
}
process.stdout.write(JSON.stringify({ latencies, wallMs: performance.now() - began }))
