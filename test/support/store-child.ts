// Child process for the storage tests: each command races other processes on the same store.
import { writeSync } from 'node:fs'
import { Store } from '../../storage/store.js'
import { DOCUMENTS } from '../../lib/state/schema.js'
import { task } from './store-helpers.js'
import { runChild } from './child-main.js'

const [command, dataDir, projectDir, ...rest] = process.argv.slice(2)
const store = new Store({ dataDir, documents: DOCUMENTS })
const project = store.project(projectDir)

async function main(): Promise<void> {
  if (command === 'increment') {
    for (let i = 0; i < Number(rest[0]); i++) {
      await store.transact(project, ['tasks'], (docs, tx) => {
        const item = docs.tasks.tasks.find((entry) => entry.id === 'task-counter')!
        item.metadata.counter = (item.metadata.counter as number) + 1
        tx.emit({ type: 'custom.increment', actor: `p${process.pid}` })
      })
    }
  } else if (command === 'claim') {
    const mine: string[] = []
    for (;;) {
      const id = await store.transact(project, ['tasks', 'locks'], (docs, tx) => {
        const item = docs.tasks.tasks.find((entry) => entry.status === 'todo')
        if (!item) return null
        Object.assign(item, { status: 'in_progress', owner: rest[0] })
        docs.locks.locks.push({
          id: `lock-${item.id}`,
          path: item.id,
          owner: rest[0],
          status: 'active',
          createdAt: tx.now.toISOString(),
          updatedAt: tx.now.toISOString(),
          expiresAt: tx.now.toISOString(),
        })
        return item.id
      })
      if (id === null) break
      mine.push(id)
    }
    process.stdout.write(JSON.stringify(mine))
  } else if (command === 'hold') {
    await store.transact(project, ['tasks', 'locks'], () => {
      writeSync(1, 'holding\n')
      for (;;) {
        // stay inside the transaction, the lock held, until killed
      }
    })
  } else if (command === 'add') {
    // one commit; under FAULT=stop-before-append it stops right before appending, its lock held
    try {
      await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(task(rest[0])))
      process.stdout.write('committed')
    } catch (error) {
      process.stdout.write(`error ${(error as { code?: string }).code}`)
    }
  } else if (command === 'archive') {
    // one commit that appends a line to the notes archive
    await store.transact(project, ['notes'], (docs, tx) => {
      docs.notes.nextSeq++
      tx.appendFile('notes-archive.jsonl', `${rest[0]}\n`)
    })
    process.stdout.write('committed')
  } else if (command === 'read-loop') {
    const until = Date.now() + Number(rest[0])
    let reads = 0
    let torn = 0
    while (Date.now() < until) {
      const { tasks } = await store.read(project, 'tasks')
      // every writer keeps all tasks' descriptions equal within one commit
      if (new Set(tasks.map((item) => item.description)).size > 1) torn++
      reads++
    }
    process.stdout.write(JSON.stringify({ reads, torn }))
  } else if (command === 'write-loop') {
    const until = Date.now() + Number(rest[0])
    let writes = 0
    while (Date.now() < until) {
      await store.transact(project, ['tasks'], (docs) => {
        for (const item of docs.tasks.tasks) item.description = `${process.pid}-${writes}`
      })
      writes++
    }
    process.stdout.write(JSON.stringify({ writes }))
  } else {
    throw new Error(`unknown command ${command}`)
  }
}

runChild(main)
