import { createHash } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { readTextOrNull } from '../../storage/atomic.js'
import { LockstepError } from '../errors.js'
import type { GuardClient } from './guard-input.js'
import { shellQuote } from '../core/quote.js'
import { detectEol, isTable, sameMeaning, splitBom, writeText } from '../clients/config-files.js'

/** Every hook command we write ends with this comment: it is how disable and status find our entries. */
export const GUARD_MARK = '# lockstep-mcp guard'

export type HookClient = Exclude<GuardClient, 'git'>

interface HookFile {
  file: string
  /** The event key under `hooks`, and the hook group we add to it. */
  event: string
  group: (command: string) => Record<string, unknown>
  /** Extra top-level keys a new file needs (Cursor's version). */
  base?: Record<string, unknown>
}

// Formats checked against: Claude Code 2.1.332 (PreToolUse, run in the real CLI by the tests), Codex 0.171.0
// (.codex/hooks.json, Claude-compatible PreToolUse; read from its binary), Gemini CLI 0.61.0 (BeforeTool, timeout in
// ms, run in the real CLI by the tests), Cursor docs (preToolUse in .cursor/hooks.json, version 1).
export const HOOK_FILES: Record<HookClient, HookFile> = {
  claude: {
    file: '.claude/settings.json',
    event: 'PreToolUse',
    group: (command) => ({ matcher: 'Edit|Write|MultiEdit|NotebookEdit', hooks: [{ type: 'command', command, timeout: 10 }] }),
  },
  codex: {
    file: '.codex/hooks.json',
    event: 'PreToolUse',
    group: (command) => ({ matcher: 'apply_patch', hooks: [{ type: 'command', command, timeout: 10 }] }),
  },
  cursor: {
    file: '.cursor/hooks.json',
    event: 'preToolUse',
    group: (command) => ({ command, matcher: 'Write|Edit|StrReplace|MultiEdit|Delete' }),
    base: { version: 1 },
  },
  gemini: {
    file: '.gemini/settings.json',
    event: 'BeforeTool',
    group: (command) => ({ matcher: 'write_file|replace', hooks: [{ name: 'lockstep-guard', type: 'command', command, timeout: 10_000 }] }),
  },
}

/**
/**
 * The shell command a client runs: the guard of this install, or, when it has been removed since, a pass that says
 * so once (a missing lockstep must never block an edit).
 */
export function guardCommand(node: string, cli: string, client: GuardClient): string {
  return `if [ -f ${shellQuote(cli)} ]; then exec ${shellQuote(node)} ${shellQuote(cli)} guard --client ${client}; else ${missingOnce(cli, 'edits are not checked')}; fi ${GUARD_MARK}`
}

/** Shell that tells, once per user and install path, that lockstep is gone (a marker file in the temp folder). */
export function missingOnce(cli: string, what: string): string {
  const tag = createHash('sha256').update(cli).digest('hex').slice(0, 12)
  const text = `lockstep-mcp is no longer installed at ${cli.replaceAll('"', '').replaceAll('$', '').replaceAll('`', '')}; ${what} ('lockstep-mcp disable' removes this hook).`
  return `m="\${TMPDIR:-/tmp}/lockstep-guard-missing-${tag}-$(id -u)"; [ -e "$m" ] || { echo "${text}" >&2; : > "$m"; }`
}

const isOurs = (hook: unknown) => isTable(hook) && typeof hook.command === 'string' && hook.command.includes(GUARD_MARK)

/** The document without our hooks, and whether any were there. Groups left empty go, and so does an empty `hooks`. */
function withoutOurs(doc: Record<string, unknown>, spec: HookFile): { doc: Record<string, unknown>; found: boolean } {
  const hooks = isTable(doc.hooks) ? doc.hooks : undefined
  const groups = hooks && Array.isArray(hooks[spec.event]) ? (hooks[spec.event] as unknown[]) : undefined
  if (!hooks || !groups) return { doc, found: false }
  let found = false
  const kept: unknown[] = []
  for (const group of groups) {
    if (isOurs(group)) {
      found = true
      continue
    }
    if (isTable(group) && Array.isArray(group.hooks) && group.hooks.some(isOurs)) {
      found = true
      const rest = group.hooks.filter((hook) => !isOurs(hook))
      if (rest.length) kept.push({ ...group, hooks: rest })
      continue
    }
    kept.push(group)
  }
  const nextHooks: Record<string, unknown> = { ...hooks }
  if (kept.length) nextHooks[spec.event] = kept
  else delete nextHooks[spec.event]
  const next: Record<string, unknown> = { ...doc }
  if (Object.keys(nextHooks).length) next.hooks = nextHooks
  else delete next.hooks
  return { doc: next, found }
}

async function readJson(path: string, file: string): Promise<{ doc: Record<string, unknown>; text: string | null }> {
  const text = await readTextOrNull(path)
  if (text === null || text.trim() === '') return { doc: {}, text }
  let doc: unknown
  try {
    doc = JSON.parse(splitBom(text).body)
  } catch (error) {
    throw new LockstepError('CONFLICT', `${file} is not valid JSON (${(error as Error).message}); fix it, or run init with --no-guards.`, { file })
  }
  if (!isTable(doc)) throw new LockstepError('CONFLICT', `${file} does not hold a JSON object; fix it, or run init with --no-guards.`, { file })
  return { doc, text }
}

function render(doc: Record<string, unknown>, text: string | null): string {
  const eol = text ? detectEol(text) : '\n'
  return (splitBom(text ?? '').bom + JSON.stringify(doc, null, 2) + '\n').replaceAll('\n', eol)
}

/** Add our hook to one client's file, keeping every other setting and hook. Throws CONFLICT for a file that does not parse. */
export async function installHook(root: string, client: HookClient, command: string): Promise<'created' | 'updated' | 'unchanged'> {
  const spec = HOOK_FILES[client]
  const path = join(root, spec.file)
  const { doc, text } = await readJson(path, spec.file)
  const clean = withoutOurs(doc, spec).doc
  const hooks = isTable(clean.hooks) ? clean.hooks : {}
  const groups = Array.isArray(hooks[spec.event]) ? (hooks[spec.event] as unknown[]) : []
  const next = { ...(text === null ? spec.base : {}), ...clean, hooks: { ...hooks, [spec.event]: [...groups, spec.group(command)] } }
  if (text !== null && sameMeaning(next, doc)) return 'unchanged'
  await writeText(path, render(next, text), 0o644)
  return text === null ? 'created' : 'updated'
}

/** Take our hook out of one client's file; a file left with nothing of its own is removed, as init created it. */
export async function removeHook(root: string, client: HookClient): Promise<'removed' | 'not present'> {
  const spec = HOOK_FILES[client]
  const path = join(root, spec.file)
  const { doc, text } = await readJson(path, spec.file)
  const { doc: next, found } = withoutOurs(doc, spec)
  if (!found) return 'not present'
  const leftover = Object.keys(next).filter((key) => !(spec.base && key in spec.base && sameMeaning(next[key], spec.base[key])))
  if (!leftover.length) {
    await fsp.rm(path, { force: true })
    await fsp.rmdir(join(path, '..')).catch(() => undefined) // only when empty
  } else await writeText(path, render(next, text), 0o644)
  return 'removed'
}

/** Throws CONFLICT when the client's file exists and does not parse: checked for every client before any is written. */
export async function checkHookFile(root: string, client: HookClient): Promise<void> {
  await readJson(join(root, HOOK_FILES[client].file), HOOK_FILES[client].file)
}

/** Whether our hook is in the client's file. */
export async function hasHook(root: string, client: HookClient): Promise<boolean> {
  const spec = HOOK_FILES[client]
  try {
    const { doc } = await readJson(join(root, spec.file), spec.file)
    return withoutOurs(doc, spec).found
  } catch {
    return false
  }
}
