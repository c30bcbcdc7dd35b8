import { applyEdits, modify, parse, type FormattingOptions, type ParseError } from 'jsonc-parser'
import { LockstepError } from './errors.js'
import { detectEol, isTable, namesToRemove, sameMeaning, splitBom, type ConfigEdit } from './_config-shared.js'

type Table = Record<string, unknown>

// Edits are made in place on the text: every byte outside our entry (other servers, settings, comments and the
// file's own indentation) stays as it was. VS Code, opencode and Gemini files may hold comments (JSONC).

/** Put `<keyPath>.<name>` into a JSON or JSONC file, keeping every other byte. Throws CONFLICT. */
export function planJsonInstall(text: string | null, file: string, keyPath: readonly string[], name: string, entry: Table): ConfigEdit {
  const { bom, body, servers } = parseConfig(text, file, keyPath)
  const { ours, old } = namesToRemove(servers, name)
  if (ours && old.length === 0 && sameMeaning(servers[name], entry)) {
    return { text: text ?? '', changed: false, replaced: [], found: true, warnings: [] }
  }
  if (body.trim() === '') {
    // a new file: the entry under its key path, 2-space indent, ending with a newline
    const doc = keyPath.reduceRight<unknown>((inner, key) => ({ [key]: inner }), { [name]: entry })
    return { text: `${bom}${JSON.stringify(doc, null, 2)}\n`, changed: true, replaced: [], found: false, warnings: [] }
  }
  let next = body
  for (const key of old) next = edit(next, [...keyPath, key], undefined)
  next = edit(next, [...keyPath, name], entry)
  return { text: bom + next, changed: true, replaced: old, found: ours, warnings: [] }
}

/** Remove `<keyPath>.<name>` (and an old `lockstep` entry running lockstep-mcp), keeping every other byte. Throws CONFLICT. */
export function planJsonUninstall(text: string | null, file: string, keyPath: readonly string[], name: string): ConfigEdit {
  const unchanged = { text: text ?? '', changed: false, replaced: [], found: false, warnings: [] }
  if (text === null) return unchanged
  const { bom, body, servers } = parseConfig(text, file, keyPath)
  const { ours, old } = namesToRemove(servers, name)
  if (!ours && old.length === 0) return unchanged
  let next = body
  for (const key of ours ? [name, ...old] : old) next = edit(next, [...keyPath, key], undefined)
  return { text: bom + next, changed: true, replaced: old, found: ours, warnings: [] }
}

/** The servers object under `keyPath`, or `{}` when the file or the key is missing. */
export function readJsonServers(text: string, file: string, keyPath: readonly string[]): Table {
  return parseConfig(text, file, keyPath).servers
}

function parseConfig(text: string | null, file: string, keyPath: readonly string[]): { bom: string; body: string; servers: Table } {
  const { bom, body } = splitBom(text ?? '')
  if (body.trim() === '') return { bom, body, servers: {} }
  const errors: ParseError[] = []
  const doc: unknown = parse(body, errors, { allowTrailingComma: true, disallowComments: false })
  if (errors.length > 0) throw refuse(file, `is not valid JSON (error ${errors[0]!.error} at offset ${errors[0]!.offset})`)
  if (!isTable(doc)) throw refuse(file, 'does not hold a JSON object')
  let servers: unknown = doc
  for (const key of keyPath) {
    servers = (servers as Table)[key] ?? {}
    if (!isTable(servers)) throw refuse(file, `has a ${keyPath.join('.')} value that is not an object`)
  }
  return { bom, body, servers: servers as Table }
}

function edit(text: string, path: string[], value: unknown): string {
  return applyEdits(text, modify(text, path, value, { formattingOptions: formatting(text) }))
}

/** New lines follow the file: its line ending and the indentation of its first indented line. */
function formatting(text: string): FormattingOptions {
  const indent = /^([ \t]+)\S/m.exec(text)?.[1] ?? '  '
  const tabs = indent.startsWith('\t')
  return { insertSpaces: !tabs, tabSize: tabs ? 1 : indent.length, eol: detectEol(text) }
}

function refuse(file: string, problem: string): LockstepError {
  return new LockstepError('CONFLICT', `${file} ${problem}; fix it by hand and run the command again. The file was not changed.`, { file })
}
