// A store on a temp folder for the storage tests, and a valid task to put in it.
import { spawn } from 'node:child_process'
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

/** A child running store-child.ts with `args`; with `preload`, the file-system faults of fs-faults.ts armed by `env`. */
export const storeChild = (args: string[], env: NodeJS.ProcessEnv = {}, preload = false) =>
  spawn(process.execPath, ['--import', 'tsx', ...(preload ? ['--import', join(import.meta.dirname, 'fs-faults.ts')] : []), join(import.meta.dirname, 'store-child.ts'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  })

/** Everything a store child prints, once it has exited. */
export const storeOutput = (proc: ReturnType<typeof storeChild>) =>
  new Promise<string>((resolve) => {
    let text = ''
    proc.stdout!.on('data', (chunk) => (text += chunk))
    proc.on('close', () => resolve(text))
  })

/** The exit code of a store child, once it has exited (null when killed by a signal). */
export const storeExit = (proc: ReturnType<typeof storeChild>) => new Promise<number | null>((resolve) => proc.on('close', resolve))
