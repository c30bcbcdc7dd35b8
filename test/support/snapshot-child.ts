// Child process for the snapshot tests: renders from a store, or runs the writer against a read-only .lockstep/.
import { chmodSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Store } from '../../storage/store.js'
import { DOCUMENTS } from '../../lib/state/schema.js'
import { renderProjectSnapshot, snapshotPath, SnapshotWriter, writeSnapshotNow } from '../../lib/state/snapshot.js'
import { runChild } from './child-main.js'

const [command, ...args] = process.argv.slice(2)

async function main(): Promise<void> {
  if (command === 'render') {
    const [dataDir, projectDir] = args
    const store = new Store({ dataDir, documents: DOCUMENTS, readOnly: true })
    const project = store.project(projectDir)
    process.stdout.write(await renderProjectSnapshot(store, project))
  } else if (command === 'read-only') {
    const [base] = args
    if (process.getuid?.() === 0) {
      process.setgid?.(65534)
      process.setuid?.(65534)
    }
    const root = join(base, 'repo')
    mkdirSync(root)
    const store = new Store({ dataDir: join(base, 'data'), documents: DOCUMENTS })
    const project = store.project(root)
    await writeSnapshotNow(store, project)
    const before = readFileSync(snapshotPath(root), 'utf8')
    chmodSync(join(root, '.lockstep'), 0o555)
    const warnings: string[] = []
    const writer = new SnapshotWriter({ store, warn: (message) => warnings.push(message), delays: { debounceMs: 10, maxMs: 50 } })
    writer.attach(store)
    let threw = false
    try {
      for (const status of ['in_progress', 'complete'] as const) {
        await store.transact(project, ['project'], (docs) => void (docs.project.status = status))
        await writer.flush()
      }
    } catch {
      threw = true
    }
    const unchanged = readFileSync(snapshotPath(root), 'utf8') === before
    chmodSync(join(root, '.lockstep'), 0o755)
    store.close()
    process.stdout.write(JSON.stringify({ warnings: warnings.length, threw, unchanged }))
  } else {
    throw new Error(`unknown command ${command}`)
  }
}

runChild(main)
