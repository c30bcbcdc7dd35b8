import fs from 'node:fs'
import { join } from 'node:path'
import { syncDirectory, writeFileAtomic } from '../atomic.js'
import { restorePoints, stamp } from './backups.js'
import { envelopeText, type DocumentDef } from '../documents.js'
import type { ProjectState } from '../journal/project-state.js'

// Snapshots: each document written whole with the journal position it includes, so that opening a project replays
// only the journal past it. Written under the project lock, after a commit, once the journal has grown by
// `snapshotBytes` since the last ones or an hour has passed; each hour's first set is also kept as a restore point.

const SNAPSHOT_BYTES = 1 << 20
const RESTORE_EVERY_MS = 3_600_000
const RESTORE_POINTS_KEPT = 48
const lastWritten = new Map<string, { offset: number; at: number }>()

type Registry = Record<string, DocumentDef<object>>

/** Whether the snapshots are due: the journal grew by `snapshotBytes` since they were written, or an hour passed. */
export function snapshotsDue(state: ProjectState, now: Date, snapshotBytes = SNAPSHOT_BYTES): boolean {
  const position = state.journal.position
  let last = lastWritten.get(state.project.dir)
  if (!last) {
    // from the snapshots on disk: the oldest position any of them includes
    const offsets = [...state.docs.keys()].map((name) => state.snapshotOffset.get(name) ?? 0)
    lastWritten.set(state.project.dir, (last = { offset: Math.min(...offsets, position.offset), at: now.getTime() }))
  }
  const grown = position.offset - last.offset
  return grown >= snapshotBytes || (grown > 0 && now.getTime() - last.at >= RESTORE_EVERY_MS)
}

/** Under the lock: write every readable document whole, at the current position, then a restore point if one is due. */
export async function writeSnapshots(state: ProjectState, registry: Registry, now: Date): Promise<void> {
  const position = { ...state.journal.position }
  for (const [name, doc] of state.docs) {
    const def = registry[name]
    const text = envelopeText(state.project, def, JSON.stringify(doc.body, null, 2), position.seq, now.toISOString(), position)
    await writeFileAtomic(join(state.project.dir, def.file), text, { mode: 0o600 })
    state.snapshotSeq.set(name, position.seq)
    state.snapshotOffset.set(name, position.offset)
  }
  await syncDirectory(state.project.dir)
  lastWritten.set(state.project.dir, { offset: position.offset, at: now.getTime() })
  const backups = join(state.project.dir, 'backups')
  const newest = restorePoints(backups).at(-1)
  if (!newest || now.getTime() - Date.parse(stampToIso(newest)) >= RESTORE_EVERY_MS) {
    copyDocuments(state, registry, join(backups, `restore-${stamp(now)}`))
    for (const old of restorePoints(backups).slice(0, -RESTORE_POINTS_KEPT)) fs.rmSync(join(backups, `restore-${old}`), { recursive: true, force: true })
  }
}

/**
 * Inside a transaction: serialise every readable document as it is now, and write the copy before the commit.
 * Returns the folder.
 */
export function keepCopy(state: ProjectState, registry: Registry, label: string, now: Date, actions: ((dir: string) => Promise<void>)[]): string {
  const folder = join(state.project.dir, 'backups', `${label}-${stamp(now)}`)
  const texts = [...state.docs].map(([name, doc]) => [
    registry[name].file,
    envelopeText(state.project, registry[name], JSON.stringify(doc.body, null, 2), state.journal.position.seq, now.toISOString(), { ...state.journal.position }),
  ])
  actions.push(async () => {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 })
    for (const [file, text] of texts) await writeFileAtomic(join(folder, file), text, { mode: 0o600 })
  })
  return folder
}

function copyDocuments(state: ProjectState, registry: Registry, folder: string): void {
  fs.mkdirSync(folder, { recursive: true, mode: 0o700 })
  for (const name of state.docs.keys()) {
    const file = registry[name].file
    try {
      fs.copyFileSync(join(state.project.dir, file), join(folder, file))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
}

function stampToIso(value: string): string {
  return `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}T${value.slice(9, 11)}:${value.slice(11, 13)}:${value.slice(13, 15)}Z`
}
