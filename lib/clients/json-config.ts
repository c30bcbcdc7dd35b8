import { findNodeAtLocation, parse, parseTree, type Node, type ParseError } from 'jsonc-parser'
import { LockstepError } from '../errors.js'
import { detectEol, isTable, namesToRemove, sameMeaning, splitBom, type ConfigEdit } from './config-files.js'

type Table = Record<string, unknown>

// Edits are spliced into the text: every byte outside our entry (other servers, settings, comments, the file's own
// indentation and line endings) stays as it was. VS Code, opencode and Gemini files may hold comments (JSONC).

/** Put `<key>.<name>` into a JSON or JSONC file, keeping every other byte. Throws CONFLICT. */
export function planJsonInstall(text: string | null, file: string, key: string, name: string, entry: Table): ConfigEdit {
  const { bom, body, servers } = parseConfig(text, file, key)
  const { ours, old } = namesToRemove(servers, name)
  if (ours && old.length === 0 && sameMeaning(servers[name], entry)) {
    return { text: text ?? '', changed: false, replaced: [], found: true, warnings: [] }
  }
  if (body.trim() === '') {
    return { text: `${bom}${JSON.stringify({ [key]: { [name]: entry } }, null, 2)}\n`, changed: true, replaced: [], found: false, warnings: [] }
  }
  let next = body
  for (const stale of old) next = removeMember(next, [key, stale])
  const root = tree(next)
  const table = findNodeAtLocation(root, [key])
  const current = table ? findNodeAtLocation(table, [name]) : undefined
  if (current) next = splice(next, current.offset, current.length, render(next, entry, depthOf(next, current.parent!)))
  else if (table?.type === 'object') next = addMember(next, table, name, entry)
  else next = addMember(next, root, key, { [name]: entry })
  return { text: bom + next, changed: true, replaced: old, found: ours, warnings: [] }
}

/** Remove `<key>.<name>` (and an old `lockstep` entry running lockstep-mcp), keeping every other byte. Throws CONFLICT. */
export function planJsonUninstall(text: string | null, file: string, key: string, name: string): ConfigEdit {
  const unchanged = { text: text ?? '', changed: false, replaced: [], found: false, warnings: [] }
  if (text === null) return unchanged
  const { bom, body, servers } = parseConfig(text, file, key)
  const { ours, old } = namesToRemove(servers, name)
  if (!ours && old.length === 0) return unchanged
  let next = body
  for (const gone of ours ? [name, ...old] : old) next = removeMember(next, [key, gone])
  return { text: bom + next, changed: true, replaced: old, found: ours, warnings: [] }
}

/** The servers object under `key`, or `{}` when the file or the key is missing. Throws CONFLICT. */
export function readJsonServers(text: string, file: string, key: string): Table {
  return parseConfig(text, file, key).servers
}

function parseConfig(text: string | null, file: string, key: string): { bom: string; body: string; servers: Table } {
  const { bom, body } = splitBom(text ?? '')
  if (body.trim() === '') return { bom, body, servers: {} }
  const errors: ParseError[] = []
  const doc: unknown = parse(body, errors, { allowTrailingComma: true, disallowComments: false })
  if (errors.length > 0) throw refuse(file, `is not valid JSON (parse error ${errors[0]!.error} at offset ${errors[0]!.offset})`)
  if (!isTable(doc)) throw refuse(file, 'does not hold a JSON object')
  const servers = doc[key] ?? {}
  if (!isTable(servers)) throw refuse(file, `has a ${key} value that is not an object`)
  return { bom, body, servers }
}

function tree(text: string): Node {
  return parseTree(text, [], { allowTrailingComma: true, disallowComments: false })!
}

/** Add a member at the end of `object`, in the layout of its existing members (one per line, or all on one line). */
function addMember(text: string, object: Node, name: string, value: unknown): string {
  const members = object.children ?? []
  const eol = detectEol(text)
  const last = members.at(-1)
  if (!last) {
    const outer = indentAt(text, object.offset)
    const inner = outer + unit(text)
    const member = `${JSON.stringify(name)}: ${render(text, value, inner)}`
    return splice(text, object.offset + 1, object.length - 2, `${eol}${inner}${member}${eol}${outer}`)
  }
  const multiline = text.slice(object.offset, last.offset).includes('\n')
  const indent = multiline ? indentAt(text, last.offset) : ''
  const member = `${JSON.stringify(name)}: ${multiline ? render(text, value, indent) : JSON.stringify(value)}`
  const end = last.offset + last.length
  return splice(text, end, 0, multiline ? `,${eol}${indent}${member}` : `, ${member}`)
}

/** Remove the member at `path` with the separator that joined it to its neighbours. */
function removeMember(text: string, path: string[]): string {
  const value = findNodeAtLocation(tree(text), path)
  if (!value) return text
  const member = value.parent!
  const siblings = member.parent!.children!
  const at = siblings.indexOf(member)
  const end = member.offset + member.length
  if (siblings.length === 1) {
    const object = member.parent!
    return splice(text, object.offset + 1, object.length - 2, '')
  }
  if (at > 0) {
    const previous = siblings[at - 1]!
    const from = previous.offset + previous.length
    return splice(text, from, end - from, '')
  }
  const next = siblings[1]!
  return splice(text, member.offset, next.offset - member.offset, '')
}

/** `value` as JSON laid out like the file, continuing lines at `indent`. */
function render(text: string, value: unknown, indent: string): string {
  return JSON.stringify(value, null, unit(text))
    .split('\n')
    .join(`${detectEol(text)}${indent}`)
}

/** The file's indentation step: that of its first indented line, two spaces if none. */
function unit(text: string): string {
  const first = /\n([ \t]+)\S/.exec(text)?.[1] ?? '  '
  return first.startsWith('\t') ? '\t' : first
}

function indentAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1
  return /^[ \t]*/.exec(text.slice(lineStart, offset))![0]
}

function depthOf(text: string, member: Node): string {
  return indentAt(text, member.offset)
}

function splice(text: string, offset: number, length: number, insert: string): string {
  return text.slice(0, offset) + insert + text.slice(offset + length)
}

function refuse(file: string, problem: string): LockstepError {
  return new LockstepError('CONFLICT', `${file} ${problem}; fix it by hand and run the command again. The file was not changed.`, { file })
}
