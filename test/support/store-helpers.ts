// A store on a temp folder for the storage tests, and a valid task to put in it.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { Store, type StoreOptions } from '../../storage/store.js'
import { DOCUMENTS, type Task } from '../../lib/state/schema.js'
import { tempDir } from './helpers.js'

export function storeSetup(t: Parameters<typeof tempDir>[0], options: Partial<StoreOptions<typeof DOCUMENTS>> = {}) {
  const home = tempDir(t)
  const projectDir = join(home, 'repo')
  mkdirSync(projectDir)
  const store = new Store({ dataDir: join(home, 'data'), documents: DOCUMENTS, ...options })
  t.after(() => store.close())
  return { home, projectDir, dataDir: join(home, 'data'), store, project: store.project(projectDir) }
}

export function task(id: string, extra: Partial<Task> = {}): Task {
  const now = new Date().toISOString()
  return {
    id,
    title: id,
    status: 'todo',
    complexity: 'simple',
    isolation: 'shared',
    priority: 'normal',
    tags: [],
    metadata: {},
    dependsOn: [],
    files: [],
    reviewRounds: 0,
    createdBy: 'test',
    createdAt: now,
    updatedAt: now,
    version: 1,
    ...extra,
  }
}
