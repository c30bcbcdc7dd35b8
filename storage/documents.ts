import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import * as v from 'valibot'
import { LockstepError } from '../lib/errors.js'
import { backupCorrupt, restorePoints } from './recovery/backups.js'

/** Where a project's documents live. */
export interface ProjectRef {
  id: string
  root: string
  name: string
  dir: string
}

export type Migration = (doc: Record<string, unknown>) => Record<string, unknown>

/** One JSON document per collection: its file, body schema, empty body and migrations (`from N` → N+1). */
export interface DocumentDef<B extends object = object> {
  file: string
  kind: string
  version: number
  schema: v.GenericSchema<unknown, unknown>
  empty(project: ProjectRef): B
  migrations?: Record<number, Migration>
  /** The body's arrays of records, each with the field that identifies a record: the journal changes them by record. */
  collections?: Record<string, string>
}

export interface LoadedDocument<B extends object = object> {
  body: B
  rev: number
  exists: boolean
  migratedFrom?: number
  /** The bytes read, to tell an unchanged document without serialising it twice. */
  text?: string
  updatedAt?: string
  /** The journal position this snapshot includes (absent in documents of the older layout: the start). */
  journal?: { seq: number; eventSeq: number; offset: number }
}

const ENVELOPE_KEYS = new Set(['schemaVersion', 'kind', 'projectId', 'rev', 'updatedAt', 'journal'])

/** The document's text from its body's JSON: the same bytes as stringifying the envelope and body together. */
export function envelopeText(project: ProjectRef, def: DocumentDef, bodyJson: string, rev: number, updatedAt: string, journal?: LoadedDocument['journal']): string {
  const head = JSON.stringify({ schemaVersion: def.version, kind: def.kind, projectId: project.id, rev, updatedAt, ...(journal ? { journal } : {}) }, null, 2)
  return bodyJson === '{}' ? `${head}\n` : `${head.slice(0, -2)},\n${bodyJson.slice(2)}\n`
}

/** Parse and check a document's text. Throws CORRUPT_STATE (after keeping a backup) or CONFLICT (newer schema). */
export async function parseDocument<B extends object>(
  project: ProjectRef,
  def: DocumentDef<B>,
  text: string,
  options: { backup: boolean; validated?: Map<string, string> },
): Promise<LoadedDocument<B>> {
  const path = join(project.dir, def.file)
  const fail = async (problem: string, step?: string): Promise<never> => {
    const backup = options.backup ? await backupCorrupt(project.dir, def.file, text) : null
    throw corruptError(project, def, problem, backup, step)
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    const { line, column } = lineAndColumn(text, (error as Error).message)
    return fail(`it does not parse as JSON at line ${line}, column ${column} (${(error as Error).message})`)
  }
  if (!isPlainObject(raw)) return fail('it is not a JSON object')
  const version = raw.schemaVersion
  if (!Number.isInteger(version) || (version as number) < 1) return fail('schemaVersion is missing or not a positive integer')
  if (raw.kind !== def.kind) return fail(`kind is ${JSON.stringify(raw.kind)}, expected "${def.kind}"`)
  if (raw.projectId !== project.id) return fail(`projectId is ${JSON.stringify(raw.projectId)}, expected "${project.id}"`)
  if ((version as number) > def.version) {
    throw new LockstepError('CONFLICT', `${path} was written by a newer lockstep-mcp (schema ${String(version)}, while this build reads up to ${def.version}); upgrade lockstep-mcp.`, {
      file: path,
      schemaVersion: version,
      supported: def.version,
    })
  }
  let doc: Record<string, unknown> = raw
  for (let from = version as number; from < def.version; from++) {
    const migrate = def.migrations?.[from]
    if (!migrate) return fail(`no migration from schema ${from}`, `migration ${from}→${from + 1}`)
    try {
      doc = migrate(doc)
    } catch (error) {
      return fail((error as Error).message, `migration ${from}→${from + 1}`)
    }
  }
  const body: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(doc)) if (!ENVELOPE_KEYS.has(key)) body[key] = value
  // identical bytes validate identically, so a document re-read unchanged inside a transaction skips the schema pass
  if (options.validated?.get(path) !== text || doc !== raw) {
    const result = v.safeParse(def.schema, body)
    if (!result.success) {
      const issue = result.issues[0]
      const where = issue.path?.map((item) => String(item.key)).join('.') || '(body)'
      return fail(`${where}: ${issue.message}`, doc !== raw ? 'validate' : undefined)
    }
    if (doc === raw) options.validated?.set(path, text)
  }
  const rev = Number.isInteger(raw.rev) ? (raw.rev as number) : 0
  const updatedAt = typeof raw.updatedAt === 'string' ? raw.updatedAt : ''
  const journal = isPosition(raw.journal) ? raw.journal : undefined
  return { body: body as B, rev, exists: true, text, updatedAt, ...(journal ? { journal } : {}), ...(doc !== raw ? { migratedFrom: version as number } : {}) }
}

function corruptError(project: ProjectRef, def: DocumentDef, problem: string, backup: string | null, step?: string): LockstepError {
  const path = join(project.dir, def.file)
  const kept = backup ? ` A copy is kept at ${backup}.` : ''
  const point = restorePoints(join(project.dir, 'backups')).at(-1)
  const restore = point ? join(project.dir, 'backups', `restore-${point}`) : null
  return new LockstepError(
    'CORRUPT_STATE',
    `${path} is corrupt${step ? ` at ${step}` : ''}: ${problem}.${kept} Run lockstep-mcp doctor --repair to restore it from ${restore ?? 'the journal'} and replay the journal since; or repair the file by hand.`,
    { file: path, problem, backup, restorePoint: restore, ...(step ? { step } : {}) },
  )
}

/** The line and column (from 1) of the position a JSON.parse error names; the end of the text when it names none. */
function lineAndColumn(text: string, message: string): { line: number; column: number } {
  const match = /position (\d+)/.exec(message)
  const position = match ? Math.min(Number(match[1]), text.length) : text.length
  const before = text.slice(0, position).split('\n')
  return { line: before.length, column: before[before.length - 1].length + 1 }
}

function isPosition(value: unknown): value is { seq: number; eventSeq: number; offset: number } {
  return isPlainObject(value) && [value.seq, value.eventSeq, value.offset].every((item) => Number.isInteger(item) && (item as number) >= 0)
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export async function ensureDir(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 })
}
