import { parse } from 'smol-toml'

/** One statement of a TOML document, located by byte offsets so it can be kept or cut verbatim. */
export interface TomlLine {
  kind: 'blank' | 'comment' | 'header' | 'keyval'
  /** Offset of the first character of the line. */
  start: number
  /** Offset just after the statement's last line terminator (a value may span several lines). */
  end: number
  /** header: the table path; keyval: the table path followed by the dotted key. */
  path: string[]
  /** The table a keyval belongs to; for a header, its own path. */
  section: string[]
}

/**
 * Split a document that smol-toml has already accepted into statements. The scanner only has to find where
 * statements start and end (strings, multi-line arrays and comments), never to judge validity.
 */
export function scanToml(text: string): TomlLine[] {
  const lines: TomlLine[] = []
  let section: string[] = []
  let i = 0
  while (i < text.length) {
    const start = i
    i = skipSpaces(text, i)
    const c = text[i]
    if (c === undefined || c === '\n' || c === '\r') {
      i = afterEol(text, i)
      lines.push({ kind: 'blank', start, end: i, path: [], section })
    } else if (c === '#') {
      i = afterEol(text, eolIndex(text, i))
      lines.push({ kind: 'comment', start, end: i, path: [], section })
    } else if (c === '[') {
      const double = text[i + 1] === '['
      const [path, stop] = readKey(text, i + (double ? 2 : 1))
      section = path
      i = afterEol(text, eolIndex(text, stop))
      lines.push({ kind: 'header', start, end: i, path, section })
    } else {
      const [key, stop] = readKey(text, i)
      i = scanValue(text, stop + 1)
      lines.push({ kind: 'keyval', start, end: i, path: [...section, ...key], section })
    }
  }
  return lines
}

export function startsWithPath(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((part, index) => path[index] === part)
}

function skipSpaces(text: string, i: number): number {
  while (text[i] === ' ' || text[i] === '\t') i++
  return i
}

function eolIndex(text: string, i: number): number {
  const found = text.indexOf('\n', i)
  return found === -1 ? text.length : found
}

function afterEol(text: string, i: number): number {
  const found = text.indexOf('\n', i)
  return found === -1 ? text.length : found + 1
}

/** Read a dotted key; returns its parts and the offset of the character that ended it (`=` or `]`). */
function readKey(text: string, i: number): [string[], number] {
  const parts: string[] = []
  for (;;) {
    i = skipSpaces(text, i)
    const c = text[i]
    let end: number
    if (c === '"') end = closeBasic(text, i + 1)
    else if (c === "'") end = text.indexOf("'", i + 1) + 1
    else {
      end = i
      while (end < text.length && /[A-Za-z0-9_-]/.test(text[end] as string)) end++
    }
    const raw = text.slice(i, end)
    parts.push(c === '"' || c === "'" ? (parse(`k = ${raw}`)['k'] as string) : raw)
    i = skipSpaces(text, end)
    if (text[i] !== '.') return [parts, i]
    i++
  }
}

/** Offset just after the closing quote of a basic string whose content starts at i. */
function closeBasic(text: string, i: number): number {
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1
  return i + 1
}

/** Offset just after a multi-line string whose content starts at i; up to two extra quotes belong to the content. */
function closeMultiline(text: string, i: number, quote: '"""' | "'''"): number {
  while (i < text.length && !text.startsWith(quote, i)) i += quote === '"""' && text[i] === '\\' ? 2 : 1
  let extra = 0
  while (extra < 2 && text[i + 3] === quote[0]) {
    i++
    extra++
  }
  return i + 3
}

/** Skip a value (which may span lines inside arrays, inline tables or multi-line strings) and its line end. */
function scanValue(text: string, i: number): number {
  let depth = 0
  while (i < text.length) {
    const c = text[i]
    if (text.startsWith('"""', i)) i = closeMultiline(text, i + 3, '"""')
    else if (text.startsWith("'''", i)) i = closeMultiline(text, i + 3, "'''")
    else if (c === '"') i = closeBasic(text, i + 1)
    else if (c === "'") i = text.indexOf("'", i + 1) + 1
    else if (c === '#') i = eolIndex(text, i)
    else if (c === '\n') {
      i++
      if (depth === 0) return i
    } else {
      if (c === '[' || c === '{') depth++
      else if (c === ']' || c === '}') depth--
      i++
    }
  }
  return text.length
}
