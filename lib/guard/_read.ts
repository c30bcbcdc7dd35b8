import type { DocumentDef, ProjectRef } from '../../storage/documents.js'
import { ProjectState } from '../../storage/journal/project-state.js'
import { projectRef } from '../../storage/projects.js'
import { DOCUMENTS } from '../state/schema.js'

type Bodies = { locks: ReturnType<(typeof DOCUMENTS)['locks']['empty']>; agents: ReturnType<(typeof DOCUMENTS)['agents']['empty']> }

const states = new Map<string, Promise<ProjectState>>()

/**
 * The guard's read-only view of one document: the snapshots, then the journal past them, as every reader sees them
 * (corrupt or newer documents throw as they do elsewhere). It builds no Store and takes no lock: the guard only reads.
 */
export async function readForGuard<K extends keyof Bodies>(project: ProjectRef, name: K): Promise<Bodies[K]> {
  let state = states.get(project.dir)
  if (!state) {
    const loading = new ProjectState(project, DOCUMENTS as unknown as Record<string, DocumentDef<object>>, { backup: false })
    states.set(project.dir, (state = loading.load().then(() => loading)))
  }
  const loaded = await state
  await loaded.sync()
  return loaded.doc(name).view() as Bodies[K]
}

export function projectForGuard(dataDir: string, dir: string): ProjectRef {
  return projectRef(dataDir, dir)
}
