import fs from 'node:fs'
import { join } from 'node:path'
import { LockstepError } from '../../lib/errors.js'
import { writeFileAtomic } from '../atomic.js'
import { backupCorrupt, restorePoints } from './backups.js'
import { parseDocument, type DocumentDef, type ProjectRef } from '../documents.js'
import { Journal, JOURNAL_FILE } from '../journal/journal.js'
import { acquireLock, describeOwner, isAliveHere, LOCK_STALE_MS, readLock } from '../locks/project-lock.js'

// What `doctor` finds in a project's store folder, and how it repairs it: always keeping a copy of what it replaces.

export type ProblemKind = 'corrupt_document' | 'newer_schema' | 'journal_gap' | 'journal_torn' | 'abandoned_lock'

export interface StoreProblem {
  kind: ProblemKind
  file: string
  message: string
  /** What --repair does about it. */
  repair: string
  document?: string
  /** For journal_gap: the byte offset of the first line that does not follow. */
  offset?: number
}

export interface StoreFacts {
  commits: number
  events: number
  voidLines: number
  unreadableLines: number
  journalBytes: number
  restorePoints: string[]
}

const LOCK_FILE = 'journal.lock'

/** Inspect every document, the journal and the lock of a project. Reads only (a corrupt document's copy is kept). */
export async function inspectStore(project: ProjectRef, registry: Record<string, DocumentDef<object>>): Promise<{ problems: StoreProblem[]; facts: StoreFacts }> {
  const problems: StoreProblem[] = []
  const points = restorePoints(join(project.dir, 'backups'))
  for (const [name, def] of Object.entries(registry)) {
    const file = join(project.dir, def.file)
    const text = readOrNull(file)
    if (text === null) continue
    try {
      await parseDocument(project, def, text, { backup: true })
    } catch (error) {
      if (!(error instanceof LockstepError)) throw error
      const newer = error.code === 'CONFLICT'
      problems.push({
        kind: newer ? 'newer_schema' : 'corrupt_document',
        document: name,
        file,
        message: error.message,
        repair: newer
          ? 'none: upgrade lockstep-mcp'
          : restoreFor(project, def, points)
            ? `restore ${def.file} from ${restoreFor(project, def, points)} and replay the journal since`
            : `rebuild ${def.file} from the journal`,
      })
    }
  }
  const journal = new Journal(project.dir)
  journal.open({ seq: 0, eventSeq: 0, offset: 0 })
  const journalFile = join(project.dir, JOURNAL_FILE)
  try {
    journal.catchUp(() => undefined)
  } catch (error) {
    if (!(error instanceof LockstepError)) throw error
    const offset = Number(error.data.offset)
    problems.push({ kind: 'journal_gap', file: journalFile, message: error.message, offset, repair: `keep a copy of the journal, then cut it at byte ${offset}: the commits after that are lost` })
  }
  const end = journal.completeEnd()
  const size = fs.statSync(journalFile, { throwIfNoEntry: false })?.size ?? 0
  if (end < size && !problems.some((problem) => problem.kind === 'journal_gap')) {
    problems.push({
      kind: 'journal_torn',
      file: journalFile,
      message: `${journalFile} ends in a partial line of ${size - end} bytes (a write cut short).`,
      repair: 'cut the partial line (the next commit would do it too)',
    })
  }
  const lock = readLock(join(project.dir, LOCK_FILE))
  if (lock && lock.owner && isAliveHere(lock.owner) === false) {
    problems.push({
      kind: 'abandoned_lock',
      file: join(project.dir, LOCK_FILE),
      message: `The store lock is held by ${describeOwner(lock.owner)}, which is gone.`,
      repair: 'remove it (the next writer would too)',
    })
  } else if (lock && lock.ageMs > LOCK_STALE_MS && (!lock.owner || isAliveHere(lock.owner) === null)) {
    problems.push({
      kind: 'abandoned_lock',
      file: join(project.dir, LOCK_FILE),
      message: `The store lock has been held for ${Math.round(lock.ageMs / 1000)} s by ${lock.owner ? describeOwner(lock.owner) : 'an unknown process'}.`,
      repair: 'remove it (the next writer would too)',
    })
  }
  const facts = { commits: journal.position.seq, events: journal.position.eventSeq, voidLines: journal.voided, unreadableLines: journal.unreadable, journalBytes: size, restorePoints: points }
  journal.close()
  return { problems, facts }
}

/** Repair what inspectStore found, under the project lock. Returns what was done, one line per problem. */
export async function repairStore(project: ProjectRef, registry: Record<string, DocumentDef<object>>, problems: StoreProblem[]): Promise<string[]> {
  const done: string[] = []
  const abandoned = problems.find((problem) => problem.kind === 'abandoned_lock')
  if (abandoned) {
    fs.rmSync(abandoned.file, { force: true })
    done.push(`removed the abandoned lock ${abandoned.file}`)
  }
  const release = await acquireLock(join(project.dir, LOCK_FILE), Date.now() + 10_000)
  try {
    const points = restorePoints(join(project.dir, 'backups'))
    for (const problem of problems) {
      if (problem.kind === 'corrupt_document') {
        const def = registry[problem.document!]
        const text = readOrNull(problem.file)
        const kept = text === null ? null : await backupCorrupt(project.dir, def.file, text)
        const from = restoreFor(project, def, points)
        if (from) await writeFileAtomic(problem.file, fs.readFileSync(from), { mode: 0o600 })
        else fs.rmSync(problem.file, { force: true })
        done.push(`${from ? `restored ${def.file} from ${from}` : `removed ${def.file}, to be rebuilt from the journal`}${kept ? `; the corrupt copy is kept at ${kept}` : ''}`)
      } else if (problem.kind === 'journal_gap') {
        const copy = join(project.dir, 'backups', `journal.jsonl.corrupt-${Date.now()}`)
        fs.mkdirSync(join(project.dir, 'backups'), { recursive: true, mode: 0o700 })
        fs.copyFileSync(problem.file, copy)
        fs.truncateSync(problem.file, problem.offset!)
        done.push(`cut ${problem.file} at byte ${problem.offset}; the whole journal is kept at ${copy}`)
      } else if (problem.kind === 'journal_torn') {
        const journal = new Journal(project.dir)
        journal.open({ seq: 0, eventSeq: 0, offset: 0 })
        const end = journal.completeEnd()
        journal.close()
        fs.truncateSync(problem.file, end)
        done.push(`cut the partial last line of ${problem.file}`)
      }
    }
  } finally {
    release()
  }
  return done
}

/** The newest restore point whose copy of the document is sound. */
function restoreFor(project: ProjectRef, def: DocumentDef<object>, points: string[]): string | null {
  for (const point of [...points].reverse()) {
    const file = join(project.dir, 'backups', `restore-${point}`, def.file)
    const text = readOrNull(file)
    if (text === null) continue
    try {
      JSON.parse(text)
      return file
    } catch {
      // not this one
    }
  }
  return null
}

function readOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}
