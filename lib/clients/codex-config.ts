import { parse, stringify, TomlError } from 'smol-toml'
import { LockstepError } from '../errors.js'
import { detectEol, isTable, namesToRemove, sameMeaning, splitBom, withBlankLine, type ConfigEdit } from './config-files.js'
import { scanToml, startsWithPath, type TomlLine } from './_toml-scan.js'

type Table = Record<string, unknown>

/** Put `[mcp_servers.<name>]` into a Codex config, editing only its tables. Throws CONFLICT. */
export function planCodexInstall(text: string | null, file: string, name: string, entry: Table): ConfigEdit {
  const { bom, body } = splitBom(text ?? '')
  const doc = parseToml(body, file)
  const servers = serverTable(doc, file)
  const { ours, old } = namesToRemove(servers, name)
  if (ours && old.length === 0 && sameMeaning(servers[name], entry)) {
    return { text: text ?? '', changed: false, replaced: [], found: true, warnings: [] }
  }
  const intended: Table = { ...doc, mcp_servers: { ...without(servers, [name, ...old]), [name]: entry } }
  const eol = detectEol(body)
  const block = entryText(name, entry, eol)
  const lines = scanToml(body)
  const touched = [name, ...old]
  let next: string
  const warnings: string[] = []
  if (touched.some((n) => definedOutsideHeaders(lines, n))) {
    next = withBlankLine(fallback(doc, servers, touched, eol), eol) + block
    warnings.push(`${file}: the old entry was an inline table or dotted keys, so the whole file was rewritten without its comments`)
  } else {
    const spans = touched.flatMap((n) => tableSpans(lines, n))
    const own = tableSpans(lines, name)[0]
    next = own ? rebuild(body, lines, spans, own.first, block) : withBlankLine(rebuild(body, lines, spans), eol) + block
  }
  checkMeaning(next, intended, file)
  return { text: bom + next, changed: true, replaced: old, found: ours, warnings }
}

/** Remove `[mcp_servers.<name>]` (and an old `lockstep` entry running lockstep-mcp). Throws CONFLICT. */
export function planCodexUninstall(text: string | null, file: string, name: string): ConfigEdit {
  const unchanged = { text: text ?? '', changed: false, replaced: [], found: false, warnings: [] }
  if (text === null) return unchanged
  const { bom, body } = splitBom(text)
  const doc = parseToml(body, file)
  const servers = serverTable(doc, file)
  const { ours, old } = namesToRemove(servers, name)
  const touched = [...(ours ? [name] : []), ...old]
  if (touched.length === 0) return unchanged
  const lines = scanToml(body)
  const intended: Table = { ...doc, mcp_servers: without(servers, touched) }
  const warnings: string[] = []
  let next: string
  if (touched.some((n) => definedOutsideHeaders(lines, n))) {
    next = fallback(doc, servers, touched, detectEol(body))
    warnings.push(`${file}: the entry was an inline table or dotted keys, so the whole file was rewritten without its comments`)
  } else {
    next = rebuild(
      body,
      lines,
      touched.flatMap((n) => tableSpans(lines, n)),
    )
  }
  checkMeaning(next, intended, file)
  return { text: bom + next, changed: true, replaced: old, found: ours, warnings }
}

/** The entry as one table: header and values from smol-toml, `env` as an inline table. */
function entryText(name: string, entry: Table, eol: string): string {
  let out = stringify({ mcp_servers: { [name]: {} } })
  for (const [key, value] of Object.entries(entry)) {
    if (key === 'env' && isTable(value)) {
      const pairs = Object.entries(value).map(([k, v]) => stringify({ [k]: v }).trimEnd())
      out += `env = ${pairs.length > 0 ? `{ ${pairs.join(', ')} }` : '{}'}\n`
    } else {
      out += stringify({ [key]: value })
    }
  }
  return out.replaceAll('\n', eol)
}

function parseToml(body: string, file: string): Table {
  try {
    return parse(body) as Table
  } catch (error) {
    if (!(error instanceof TomlError)) throw error
    const reason = error.message.split('\n')[0]
    throw new LockstepError('CONFLICT', `${file}:${error.line}:${error.column} is not valid TOML (${reason}); fix it by hand and run the command again. ` + 'The file was not changed.', {
      file,
      line: error.line,
      column: error.column,
    })
  }
}

function serverTable(doc: Table, file: string): Table {
  const servers = doc['mcp_servers'] ?? {}
  if (!isTable(servers)) {
    const message = `${file}: mcp_servers is not a table; fix it by hand and run the command again. The file was not changed.`
    throw new LockstepError('CONFLICT', message, { file })
  }
  return servers
}

function without(servers: Table, names: string[]): Table {
  return Object.fromEntries(Object.entries(servers).filter(([key]) => !names.includes(key)))
}

/** True when the entry (or the whole mcp_servers table) is written inline or with dotted keys. */
function definedOutsideHeaders(lines: TomlLine[], name: string): boolean {
  const target = ['mcp_servers', name]
  return lines.some((line) => line.kind === 'keyval' && !startsWithPath(line.section, target) && (startsWithPath(line.path, target) || startsWithPath(target, line.path)))
}

interface Span {
  first: number
  last: number
}

/** Each table of the entry: its header through its last key/value line. Trailing comments belong to what follows. */
function tableSpans(lines: TomlLine[], name: string): Span[] {
  const spans: Span[] = []
  lines.forEach((line, index) => {
    if (line.kind !== 'header' || !startsWithPath(line.path, ['mcp_servers', name])) return
    let last = index
    for (let k = index + 1; k < lines.length && lines[k]!.kind !== 'header'; k++) if (lines[k]!.kind === 'keyval') last = k
    spans.push({ first: index, last })
  })
  return spans
}

/**
 * Cut the spans out. The blank lines after a span go too when a blank line (or the file start) precedes it, and
 * the ones before it when it ends the file, so no double blank line is left and nothing gets glued together.
 * When `insertAt` is given, `block` takes the place of the span starting there.
 */
function rebuild(body: string, lines: TomlLine[], spans: Span[], insertAt = -1, block = ''): string {
  const drop = new Array<boolean>(lines.length).fill(false)
  const isBlank = (k: number): boolean => lines[k]?.kind === 'blank'
  for (const { first, last } of spans) {
    for (let k = first; k <= last; k++) drop[k] = true
    if (first === insertAt) continue
    let after = last + 1
    while (isBlank(after)) after++
    const toEnd = after >= lines.length
    if (toEnd || first === 0 || isBlank(first - 1)) for (let k = last + 1; k < after; k++) drop[k] = true
    if (toEnd) for (let k = first - 1; isBlank(k); k--) drop[k] = true
  }
  let out = ''
  lines.forEach((line, index) => {
    if (index === insertAt) out += block
    if (!drop[index]) out += body.slice(line.start, line.end)
  })
  return out
}

function fallback(doc: Table, servers: Table, touched: string[], eol: string): string {
  const rest: Table = { ...doc, mcp_servers: without(servers, touched) }
  if (Object.keys(rest['mcp_servers'] as Table).length === 0) delete rest['mcp_servers']
  return Object.keys(rest).length === 0 ? '' : stringify(rest).replaceAll('\n', eol)
}

/** The edited text must mean exactly the intended document; anything else is refused before writing. */
function checkMeaning(next: string, intended: Table, file: string): void {
  let actual: Table
  try {
    actual = parse(next) as Table
  } catch {
    actual = { unparsable: true }
  }
  if (!sameMeaning(dropEmptyServers(actual), dropEmptyServers(intended))) {
    throw new LockstepError('CONFLICT', `${file}: editing the mcp_servers entry in place would change other settings, so nothing was written; edit the file by hand`, { file })
  }
}

function dropEmptyServers(doc: Table): Table {
  const servers = doc['mcp_servers']
  if (!isTable(servers) || Object.keys(servers).length > 0) return doc
  const { mcp_servers: _, ...rest } = doc
  return rest
}
