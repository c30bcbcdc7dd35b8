// Read a project's state from its store folder as a fresh process would: the snapshots, then the journal past them.
import { statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { ProjectState } from '../../storage/journal/project-state.js'
import { DOCUMENTS, type Documents } from '../../lib/state/schema.js'
import type { Bodies } from '../../storage/store.js'

export async function readStored<K extends keyof Documents>(storeDir: string, name: K): Promise<Bodies<Documents>[K]> {
  const state = new ProjectState({ id: basename(storeDir), root: '', name: '', dir: storeDir }, DOCUMENTS, { backup: false })
  try {
    await state.load()
    return JSON.parse(JSON.stringify(state.doc(name).body)) as Bodies<Documents>[K]
  } finally {
    state.journal.close()
  }
}

/** The journal's size: a call that commits nothing leaves it as it was. */
export function journalBytes(storeDir: string): number {
  return statSync(join(storeDir, 'journal.jsonl'), { throwIfNoEntry: false })?.size ?? 0
}
