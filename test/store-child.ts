// Child process for the storage tests: each command races other processes on the same store.
import { writeSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Store } from '../storage/store.js'
import { DOCUMENTS } from '../lib/schema.js'
import { acquireFileLock } from '../storage/lockfile.js'

const [command, dataDir, projectDir, ...rest] = process.argv.slice(2)
const store = new Store({ dataDir, documents: DOCUMENTS, rotateBytes: Number(process.env.ROTATE_BYTES ?? 16 * 1024 * 1024) })
const project = store.project(projectDir)

async function main(): Promise<void> {
  if (command === 'increment') {
    for (let i = 0; i < Number(rest[0]); i++) {
      await store.transact(project, ['tasks'], (docs, tx) => {
        const task = docs.tasks.tasks.find((item) => item.id === 'task-counter')!
        task.metadata.counter = (task.metadata.counter as number) + 1
        tx.emit({ type: 'custom.increment', actor: `p${process.pid}` })
      })
    }
  } else if (command === 'claim') {
    const mine: string[] = []
    for (;;) {
      const id = await store.transact(project, ['tasks'], (docs) => {
        const task = docs.tasks.tasks.find((item) => item.status === 'todo')
        if (!task) return null
        Object.assign(task, { status: 'in_progress', owner: rest[0] })
        return task.id
      })
      if (id === null) break
      mine.push(id)
    }
    process.stdout.write(JSON.stringify(mine))
  } else if (command === 'hold') {
    await store.transact(project, ['tasks', 'locks'], () => {
      writeSync(1, 'holding\n')
      for (;;) {
        // stay inside the transaction, locks held, until killed
      }
    })
  } else if (command === 'fields') {
    // each process owns one metadata field of the same task and sets it K times
    const [field, times] = rest
    for (let k = 1; k <= Number(times); k++) {
      await store.transact(project, ['tasks'], (docs) => {
        const task = docs.tasks.tasks.find((item) => item.id === 'task-shared')!
        task.metadata[field] = k
        task.version++
      })
    }
  } else if (command === 'emit') {
    const seq = await store.transactCommit(project, ['tasks'], (_docs, tx) => tx.emit({ type: 'custom.emit', actor: 'child' }))
    process.stdout.write(JSON.stringify(seq.commit.events.map((event) => event.seq)))
  } else if (command === 'commit-then-wait') {
    // one transaction parks its lock folders; then wait, holding nothing, until killed
    await store.transact(project, ['tasks'], (_docs, tx) => tx.emit({ type: 'custom.emit', actor: 'child' }))
    writeSync(1, 'waiting\n')
    setInterval(() => undefined, 1000)
    await new Promise(() => undefined)
  } else if (command === 'hold-lock') {
    await acquireFileLock(join(project.dir, rest[0]), Date.now() + 5000)
    writeSync(1, 'holding\n')
    setInterval(() => undefined, 1000)
    await new Promise(() => undefined)
  } else if (command === 'read-loop') {
    const file = join(project.dir, 'tasks.json')
    const until = Date.now() + Number(rest[0])
    let reads = 0
    let torn = 0
    while (Date.now() < until) {
      try {
        const parsed = JSON.parse(readFileSync(file, 'utf8'))
        if (!Array.isArray(parsed.tasks)) torn++
        reads++
      } catch {
        torn++
      }
    }
    process.stdout.write(JSON.stringify({ reads, torn }))
  } else if (command === 'write-loop') {
    const until = Date.now() + Number(rest[0])
    let writes = 0
    while (Date.now() < until) {
      await store.transact(project, ['tasks'], (docs) => {
        const task = docs.tasks.tasks[0]
        task.description = 'x'.repeat(1000 + (writes % 5000))
        task.version++
      })
      writes++
    }
    process.stdout.write(JSON.stringify({ writes }))
  } else {
    throw new Error(`unknown command ${command}`)
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error?.code ?? ''} ${error?.stack ?? error}\n`)
    process.exit(1)
  },
)
