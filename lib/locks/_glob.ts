// Glob internals for lock paths: brace expansion, compilation to token lists, and an exact
// emptiness test for the intersection of two patterns (breadth-first over pairs of positions).

/** Patterns expanding to more brace alternatives than this are refused by normalisation. */
export const MAX_ALTERNATIVES = 256

type CharSet = { negated: boolean; ranges: Array<[number, number]> }
type Token = CharSet | 'star'
type Segment = Token[] | 'globstar'
/** A pattern as its brace alternatives, each a list of path segments. */
export type Compiled = Segment[][]

const ANY: CharSet = { negated: true, ranges: [] }
// folding a huge class member by member would be slow; such a class is widened to any character
const MAX_FOLDED_RANGE = 4096

/** Every alternative of `text` with braces expanded, or undefined past MAX_ALTERNATIVES. */
export function expandBraces(text: string): string[] | undefined {
  const out = new Set<string>()
  const expand = (chars: string[]): boolean => {
    const group = findBraceGroup(chars)
    if (group === undefined) {
      out.add(chars.join(''))
      return out.size <= MAX_ALTERNATIVES
    }
    const { open, commas, close } = group
    const bounds = [open, ...commas, close]
    for (let k = 0; k + 1 < bounds.length; k++) {
      const alternative = chars.slice(bounds[k]! + 1, bounds[k + 1])
      if (!expand([...chars.slice(0, open), ...alternative, ...chars.slice(close + 1)])) return false
    }
    return true
  }
  return expand(Array.from(text)) ? [...out] : undefined
}

/** The alternatives of a glob, ready for globsOverlap; undefined when there are too many. */
export function compileGlob(pattern: string, ignoreCase: boolean): Compiled | undefined {
  return expandBraces(pattern)?.map((alternative) => splitSegments(alternative).map((segment) => (segment === '**' ? 'globstar' : parseSegment(Array.from(segment), ignoreCase))))
}

/** A concrete path, every character taken literally. */
export function compileLiteral(path: string, ignoreCase: boolean): Compiled {
  return [splitSegments(path).map((segment) => Array.from(segment, (ch) => literalSet(ch, ignoreCase)))]
}

/** True when some path is accepted by an alternative of `a` and an alternative of `b`. */
export function globsOverlap(a: Compiled, b: Compiled): boolean {
  return a.some((x) => b.some((y) => sequencesMeet(x, y, (s) => s === 'globstar', segmentsMeet)))
}

/** Per-code-point lower case, so that folding never changes a string's length in code points. */
export function foldCase(cp: number): number {
  const lower = String.fromCodePoint(cp).toLowerCase()
  const folded = lower.codePointAt(0)!
  return String.fromCodePoint(folded) === lower ? folded : cp
}

/** Index just past the `]` that closes a class opened at `start`, or -1 when that `[` is a literal. */
function classEnd(chars: string[], start: number): number {
  let i = start + 1
  if (chars[i] === '!' || chars[i] === '^') i++
  if (chars[i] === ']') i++
  for (; i < chars.length; i++) {
    if (chars[i] === '/') return -1
    if (chars[i] === ']') return i + 1
  }
  return -1
}

function findBraceGroup(chars: string[]): { open: number; commas: number[]; close: number } | undefined {
  for (let open = 0; open < chars.length; open++) {
    if (chars[open] === '[') {
      const end = classEnd(chars, open)
      if (end > 0) open = end - 1
      continue
    }
    if (chars[open] !== '{') continue
    const commas: number[] = []
    let depth = 0
    for (let i = open + 1; i < chars.length; i++) {
      const ch = chars[i]
      if (ch === '[') {
        const end = classEnd(chars, i)
        if (end > 0) i = end - 1
      } else if (ch === '{') depth++
      else if (ch === ',' && depth === 0) commas.push(i)
      else if (ch === '}' && depth-- === 0) {
        if (commas.length > 0) return { open, commas, close: i }
        break
      }
    }
    // an unclosed brace, or one without a comma, is a literal character; braces nested in it are still tried
  }
  return undefined
}

function splitSegments(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '' && segment !== '.')
}

function literalSet(ch: string, ignoreCase: boolean): CharSet {
  const cp = ch.codePointAt(0)!
  const folded = ignoreCase ? foldCase(cp) : cp
  return { negated: false, ranges: [[folded, folded]] }
}

function parseSegment(chars: string[], ignoreCase: boolean): Token[] {
  const tokens: Token[] = []
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!
    const end = ch === '[' ? classEnd(chars, i) : -1
    if (ch === '*') {
      if (tokens.at(-1) !== 'star') tokens.push('star')
    } else if (ch === '?') tokens.push(ANY)
    else if (end > 0) {
      tokens.push(parseClass(chars.slice(i + 1, end - 1), ignoreCase))
      i = end - 1
    } else tokens.push(literalSet(ch, ignoreCase))
  }
  return tokens
}

/** `body` is the text between `[` and `]`. */
function parseClass(body: string[], ignoreCase: boolean): CharSet {
  const negated = body[0] === '!' || body[0] === '^'
  const members = negated ? body.slice(1) : body
  const ranges: Array<[number, number]> = []
  for (let i = 0; i < members.length; i++) {
    const lo = members[i]!.codePointAt(0)!
    if (members[i + 1] === '-' && i + 2 < members.length) {
      ranges.push([lo, members[i + 2]!.codePointAt(0)!])
      i += 2
    } else ranges.push([lo, lo])
  }
  if (!ignoreCase) return { negated, ranges }
  const folded: Array<[number, number]> = []
  for (const [lo, hi] of ranges) {
    if (hi - lo > MAX_FOLDED_RANGE) return ANY
    for (let cp = lo; cp <= hi; cp++) folded.push([foldCase(cp), foldCase(cp)])
  }
  return { negated, ranges: folded }
}

function contains(set: CharSet, cp: number): boolean {
  return set.ranges.some(([lo, hi]) => lo <= cp && cp <= hi) !== set.negated
}

function setsMeet(a: CharSet, b: CharSet): boolean {
  // two complements of finite sets share a code point unless together they cover all of Unicode
  if (a.negated && b.negated) return true
  if (a.negated) return setsMeet(b, a)
  // the smallest shared point of a range of `a` is its start, or a start or end+1 of a range of `b`
  const edges = b.ranges.flatMap(([lo, hi]) => [lo, hi + 1])
  return a.ranges.some(([lo, hi]) => [lo, ...edges].some((cp) => lo <= cp && cp <= hi && contains(b, cp)))
}

function segmentsMeet(a: Segment, b: Segment): boolean {
  if (a === 'globstar' || b === 'globstar') return true
  const asSet = (t: Token): CharSet => (t === 'star' ? ANY : t)
  return sequencesMeet(
    a,
    b,
    (t) => t === 'star',
    (x, y) => setsMeet(asSet(x), asSet(y)),
  )
}

/**
 * True when some word is accepted by both sequences. Items are consumed one at a time and must `meet`;
 * a star item may match zero items or repeat. Used for characters within a segment (`*`) and for
 * segments within a path (`**`).
 */
function sequencesMeet<T>(a: T[], b: T[], isStar: (t: T) => boolean, meet: (x: T, y: T) => boolean): boolean {
  const width = b.length + 1
  const seen = new Set<number>()
  const pending: Array<[number, number]> = [[0, 0]]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [i, j] = next
    if (seen.has(i * width + j)) continue
    seen.add(i * width + j)
    if (i === a.length && j === b.length) return true
    const x = a[i]
    const y = b[j]
    const starX = x !== undefined && isStar(x)
    const starY = y !== undefined && isStar(y)
    if (starX) pending.push([i + 1, j])
    if (starY) pending.push([i, j + 1])
    if (x !== undefined && y !== undefined && !(starX && starY) && meet(x, y)) {
      pending.push([starX ? i : i + 1, starY ? j : j + 1])
    }
  }
  return false
}
