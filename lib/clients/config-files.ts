import { promises as fsp } from 'node:fs'
import { dirname } from 'node:path'
import { writeFileAtomic } from '../../storage/atomic.js'

const BOM = '\uFEFF'

/** The planned result of editing one client config file, before anything is written. */
export interface ConfigEdit {
  text: string
  changed: boolean
  /** Entries taken out besides `name` itself (the old `lockstep` one). */
  replaced: string[]
  /** Whether `name` itself was present before. */
  found: boolean
  warnings: string[]
}

export interface BomSplit {
  bom: string
  body: string
}

export function splitBom(text: string): BomSplit {
  return text.startsWith(BOM) ? { bom: BOM, body: text.slice(1) } : { bom: '', body: text }
}

/** The line ending the file already uses (its first one), LF for a file without any. */
export function detectEol(text: string): '\n' | '\r\n' {
  const at = text.indexOf('\n')
  return at > 0 && text[at - 1] === '\r' ? '\r\n' : '\n'
}

/** `text` followed by one blank line, ready for an appended section; empty text stays empty. */
export function withBlankLine(text: string, eol: string): string {
  if (text === '') return ''
  const ended = text.endsWith('\n') ? text : text + eol
  return /\n[ \t]*\r?\n$/.test(ended) ? ended : ended + eol
}

/** Order-insensitive structural equality for parsed JSON/TOML values (TOML tables have a null prototype). */
export function sameMeaning(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b)
}

function canonical(value: unknown): string {
  if (value instanceof Date) return `date:${value.toISOString()}`
  if (typeof value === 'bigint') return `${value}n`
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
    return `{${entries.join(',')}}`
  }
  return JSON.stringify(value) ?? 'undefined'
}

export function isTable(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)
}

/**
 * Atomic write (temp file in the same folder, then rename). An existing file keeps its mode; a new one gets
 * `newMode`. A symlinked config (dotfile managers) is written through to its target, not replaced by a file.
 */
export async function writeText(file: string, text: string, newMode: number, dirMode?: number): Promise<void> {
  let target = file
  try {
    target = await fsp.realpath(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  await fsp.mkdir(dirname(target), { recursive: true, ...(dirMode === undefined ? {} : { mode: dirMode }) })
  await writeFileAtomic(target, text, { mode: newMode })
}

/** An old entry (for example `lockstep`) whose command or args run lockstep-mcp. */
export function runsLockstepMcp(entry: unknown): boolean {
  if (!isTable(entry)) return false
  // opencode keeps the whole command line in one array
  const words = [entry['command'], ...(Array.isArray(entry['args']) ? entry['args'] : [])].flat()
  return words.some((word) => typeof word === 'string' && word.includes('lockstep-mcp'))
}

export const OLD_ENTRY_NAME = 'lockstep'

/** Names to drop from a server table: ours, and the old `lockstep` entry when it runs lockstep-mcp. */
export function namesToRemove(servers: Record<string, unknown>, name: string): { ours: boolean; old: string[] } {
  const old = name !== OLD_ENTRY_NAME && runsLockstepMcp(servers[OLD_ENTRY_NAME]) ? [OLD_ENTRY_NAME] : []
  return { ours: Object.hasOwn(servers, name), old }
}
