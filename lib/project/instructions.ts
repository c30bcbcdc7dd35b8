import { promises as fsp } from 'node:fs'
import { basename, join } from 'node:path'
import { readTextOrNull } from '../../storage/atomic.js'
import { LockstepError } from '../errors.js'
import { detectEol, splitBom, withBlankLine, writeText } from '../clients/config-files.js'

export const START_MARKER = '<!-- LOCKSTEP COORDINATION -->'
export const END_MARKER = '<!-- END LOCKSTEP -->'
export const INSTRUCTION_FILES = ['CLAUDE.md', 'AGENTS.md', 'GEMINI.md'] as const
const LOCKSTEP_GITIGNORE = 'worktrees/\n*.lock\n*.tmp\n'

const BLOCK_LINES = [
  START_MARKER,
  '## Agent coordination (lockstep-mcp)',
  '',
  'This project coordinates its coding agents with the `lockstep-mcp` MCP server.',
  '',
  '- At the start of a session, call `coordination_init`: with role `planner` if the user asked you to plan or',
  '  coordinate, with role `implementer` if you were launched or asked to implement. Then follow its `instruction`.',
  '- Implementers take work with `task_claim_next`, lock files before editing them, never edit a file another',
  '  agent has locked, and submit finished work for review.',
  '- In a worktree, commit to your own branch and leave `.lockstep/` alone.',
  '- The planner plans, reviews and coordinates, and does not edit code.',
  '- If the user says not to use lockstep, or to work alone, do not call its tools for the rest of the session.',
  '- More help: `lockstep-mcp help`; `lockstep-mcp status` shows what is set up.',
  END_MARKER,
]

// AGENTS.md holds the text: Codex, Cursor, Copilot, opencode and Windsurf read it. Claude Code reads CLAUDE.md
// instead and Gemini CLI GEMINI.md, and both expand an `@file` import there, so a client that reads several of
// these files (Copilot reads all three) gets the instructions once. Cursor needs no rule of its own for the same reason.
const IMPORTS: Record<string, string> = { 'CLAUDE.md': '@AGENTS.md', 'GEMINI.md': '@./AGENTS.md' }

export type BlockAction = 'created' | 'updated' | 'unchanged'
export type RemoveAction = 'removed' | 'not present'

export interface FileReport {
  /** Path relative to the project root, e.g. `CLAUDE.md` or `.lockstep/.gitignore`. */
  file: string
  action: BlockAction | RemoveAction
}

/** The managed block of `file` (AGENTS.md by default) with the given line ending, without a final line ending. */
export function renderInstructionBlock(eol: '\n' | '\r\n' = '\n', file = 'AGENTS.md'): string {
  const target = IMPORTS[basename(file)]
  if (!target) return BLOCK_LINES.join(eol)
  return [START_MARKER, 'This project coordinates its coding agents with `lockstep-mcp`; follow the instructions in AGENTS.md:', target, END_MARKER].join(eol)
}

/** Insert or refresh the block; `text` null means the file does not exist. Throws CONFLICT on malformed markers. */
export function applyInstructionBlock(text: string | null, options: { force?: boolean; file?: string } = {}): { text: string; action: BlockAction } {
  if (text === null) return { text: renderInstructionBlock('\n', options.file) + '\n', action: 'created' }
  const { bom, body } = splitBom(text)
  const eol = detectEol(body)
  const block = renderInstructionBlock(eol, options.file)
  const lines = splitLines(body)
  const markers = findMarkers(body, lines)
  let next: string
  if (options.force && markers.starts.length > 0) {
    const first = markers.starts[0]!
    // a start marker after the last end marker leaves a block open, which then runs to the end of the file
    const lastEnd = markers.ends.at(-1)
    const last = lastEnd !== undefined && lastEnd > first && markers.starts.at(-1)! < lastEnd ? lastEnd : undefined
    const tail = last === undefined ? eol : body.slice(lines[last]!.contentEnd)
    next = textBefore(body, lines, markers.ends, first) + block + tail
  } else {
    const found = options.force ? undefined : checkMarkers(markers, options.file ?? 'file')
    if (found) {
      const start = lines[found.start]!.start
      const end = lines[found.end]!.contentEnd
      next = body.slice(0, start) + block + body.slice(end)
    } else {
      next = withBlankLine(textBefore(body, lines, markers.ends, lines.length), eol) + block + eol
    }
  }
  if (next === body) return { text, action: 'unchanged' }
  return { text: bom + next, action: 'updated' }
}

/** Remove the block, its markers and one adjacent blank line. Throws CONFLICT on malformed markers. */
export function removeInstructionBlock(text: string, options: { file?: string } = {}): { text: string; action: RemoveAction } {
  const { bom, body } = splitBom(text)
  const lines = splitLines(body)
  const found = checkMarkers(findMarkers(body, lines), options.file ?? 'file')
  if (!found) return { text, action: 'not present' }
  const isBlank = (index: number): boolean => {
    const line = lines[index]
    return line !== undefined && body.slice(line.start, line.contentEnd).trim() === ''
  }
  let start = lines[found.start]!.start
  let end = lines[found.end]!.next
  if (isBlank(found.start - 1)) start = lines[found.start - 1]!.start
  else if (isBlank(found.end + 1)) end = lines[found.end + 1]!.next
  return { text: bom + body.slice(0, start) + body.slice(end), action: 'removed' }
}

/**
 * Write the blocks into CLAUDE.md, AGENTS.md and GEMINI.md and refresh `.lockstep/`. Both files are checked before anything
 * is written. Throws CONFLICT.
 */
export async function initProjectFiles(root: string, options: { force?: boolean; renderState?: () => string | Promise<string> } = {}): Promise<FileReport[]> {
  const planned = await Promise.all(
    INSTRUCTION_FILES.map(async (file) => {
      const before = await readTextOrNull(join(root, file))
      return { file, ...applyInstructionBlock(before, { force: options.force ?? false, file: join(root, file) }) }
    }),
  )
  const reports: FileReport[] = []
  for (const { file, text, action } of planned) {
    if (action !== 'unchanged') await writeText(join(root, file), text, 0o644)
    reports.push({ file, action })
  }
  await fsp.mkdir(join(root, '.lockstep'), { recursive: true })
  reports.push(await refresh(root, '.lockstep/.gitignore', LOCKSTEP_GITIGNORE))
  if (options.renderState) reports.push(await refresh(root, '.lockstep/state.json', await options.renderState()))
  return reports
}

/** Remove the blocks from CLAUDE.md, AGENTS.md and GEMINI.md; files and `.lockstep/` stay. Throws CONFLICT. */
export async function disableProjectFiles(root: string): Promise<FileReport[]> {
  const planned = await Promise.all(
    INSTRUCTION_FILES.map(async (file) => {
      const before = await readTextOrNull(join(root, file))
      if (before === null) return { file, text: '', action: 'not present' as const }
      return { file, ...removeInstructionBlock(before, { file: join(root, file) }) }
    }),
  )
  for (const { file, text, action } of planned) if (action === 'removed') await writeText(join(root, file), text, 0o644)
  return planned.map(({ file, action }) => ({ file, action }))
}

async function refresh(root: string, file: string, content: string): Promise<FileReport> {
  const before = await readTextOrNull(join(root, file))
  if (before === content) return { file, action: 'unchanged' }
  await writeText(join(root, file), content, 0o644)
  return { file, action: before === null ? 'created' : 'updated' }
}

interface Line {
  start: number
  /** Offset of the line terminator (or the end of the text). */
  contentEnd: number
  /** Offset of the next line. */
  next: number
}

function splitLines(body: string): Line[] {
  const lines: Line[] = []
  let start = 0
  while (start < body.length) {
    const newline = body.indexOf('\n', start)
    const next = newline === -1 ? body.length : newline + 1
    const contentEnd = newline === -1 ? body.length : newline > start && body[newline - 1] === '\r' ? newline - 1 : newline
    lines.push({ start, contentEnd, next })
    start = next
  }
  return lines
}

/** Line indexes of the markers; a marker is a whole line, surrounding spaces allowed. */
interface Markers {
  starts: number[]
  ends: number[]
}

function findMarkers(body: string, lines: Line[]): Markers {
  const starts: number[] = []
  const ends: number[] = []
  lines.forEach((line, index) => {
    const content = body.slice(line.start, line.contentEnd).trim()
    if (content === START_MARKER) starts.push(index)
    else if (content === END_MARKER) ends.push(index)
  })
  return { starts, ends }
}

function checkMarkers(markers: Markers, file: string): { start: number; end: number } | undefined {
  const { starts, ends } = markers
  if (starts.length === 0 && ends.length === 0) return undefined
  if (starts.length === 1 && ends.length === 1 && starts[0]! < ends[0]!) return { start: starts[0]!, end: ends[0]! }
  let line: number
  let problem: string
  if (starts.length > 1 || ends.length > 1) [line, problem] = [starts[1] ?? ends[1]!, 'a second lockstep block']
  else if (ends.length === 0) [line, problem] = [starts[0]!, `a start marker with no ${END_MARKER} after it`]
  else [line, problem] = [ends[0]!, `an end marker before any ${START_MARKER}`]
  throw new LockstepError(
    'CONFLICT',
    `${file}:${line + 1} has ${problem}; fix the markers by hand, or run 'lockstep-mcp init --force' to replace ` + 'everything from the first start marker with a fresh block. Nothing was written.',
    { file, line: line + 1 },
  )
}

/** The text before line `limit`, without the stray end markers there (for --force). */
function textBefore(body: string, lines: Line[], ends: number[], limit: number): string {
  let out = ''
  for (let index = 0; index < Math.min(limit, lines.length); index++) {
    if (!ends.includes(index)) out += body.slice(lines[index]!.start, lines[index]!.next)
  }
  return out
}
