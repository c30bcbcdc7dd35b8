import { join } from 'node:path'
import { readTextOrNull } from '../storage/atomic.js'
import { parseDocument, type DocumentDef, type ProjectRef } from '../storage/documents.js'
import { projectRef } from '../storage/projects.js'
import { DOCUMENTS } from './schema.js'

type Bodies = { locks: ReturnType<(typeof DOCUMENTS)['locks']['empty']>; agents: ReturnType<(typeof DOCUMENTS)['agents']['empty']> }

/**
 * The guard's read-only view of one document, through the storage layer's own parsing (corrupt or newer documents
 * throw as they do for every reader). It does not build a Store: that would load the lock machinery (proper-lockfile,
 * lowdb) on every edit a client makes, for a guard that only reads.
 */
export async function readForGuard<K extends keyof Bodies>(project: ProjectRef, name: K): Promise<Bodies[K]> {
  const def = DOCUMENTS[name] as DocumentDef<Bodies[K]>
  const text = await readTextOrNull(join(project.dir, def.file))
  if (text === null) return def.empty(project)
  return (await parseDocument(project, def, text, { backup: false })).body
}

export function projectForGuard(dataDir: string, dir: string): ProjectRef {
  return projectRef(dataDir, dir)
}
