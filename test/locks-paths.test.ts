import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { isGlob, lockPathMatches, lockPathsOverlap, normaliseLockPath, PLATFORM_IGNORES_CASE } from '../lib/locks/lock-paths.js'

const ROOT = '/work/main'
const DIRS = new Set(['/work/main/lib', '/work/main/docs', '/work/main/src/util'])
const isDirectory = (absPath: string): boolean => DIRS.has(absPath)

function assertInvalid(fn: () => unknown, label: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.equal((error as { code?: unknown }).code, 'INVALID_INPUT', label)
    return true
  })
}

test('normaliseLockPath puts valid paths in normal form', () => {
  const rows: Array<[string, string]> = [
    ['./src//a.ts', 'src/a.ts'],
    ['src/../lib/x.ts', 'lib/x.ts'],
    ['src/', 'src/**'],
    ['src/a.ts/', 'src/a.ts/**'],
    [`${ROOT}/src/a.ts`, 'src/a.ts'],
    [`${ROOT}/../main/src/a.ts`, 'src/a.ts'],
    [`${ROOT}/lib`, 'lib/**'],
    ['lib', 'lib/**'],
    ['./lib/', 'lib/**'],
    ['src/util', 'src/util/**'],
    ['src/.', 'src/**'],
    ['src/x/..', 'src/**'],
    ['src/a.ts', 'src/a.ts'],
    ['src/**/*.ts', 'src/**/*.ts'],
    ['**', '**'],
    ['**/', '**'],
    ['src/**/', 'src/**'],
    ['a/**/**/b', 'a/**/b'],
    ['src/*/', 'src/*/**'],
    ['lib/*', 'lib/*'],
    ['src/{a,b}.ts', 'src/{a,b}.ts'],
    ['src/{a,b/c}.ts', 'src/{a,b/c}.ts'],
    ['src/[ab].ts', 'src/[ab].ts'],
    ['a\\b', 'a\\b'],
    ['x'.repeat(1024), 'x'.repeat(1024)],
    ['artifact:reports/summary.md', 'artifact:reports/summary.md'],
    ['artifact:./reports//x.md', 'artifact:reports/x.md'],
    ['artifact:reports/', 'artifact:reports/**'],
    ['artifact:r/*', 'artifact:r/*'],
    ['artifact:lib', 'artifact:lib'],
  ]
  for (const [raw, expected] of rows) {
    assert.equal(normaliseLockPath(raw, ROOT, { isDirectory, platform: 'linux' }), expected, raw)
  }
})

test('normaliseLockPath refuses paths outside the root, empty, with NUL or too long', () => {
  const rows: unknown[] = [
    '../x',
    'a/../../x',
    '/etc/passwd',
    '/work/mainly/x',
    '/WORK/main/x',
    '',
    '.',
    './',
    '//',
    ROOT,
    `${ROOT}/`,
    'a\0b',
    'x'.repeat(1025),
    `${'x'.repeat(1023)}/`,
    'src/*/../x',
    'src/**/..',
    '{..,a}/x',
    'src/{a,../../b}',
    '{a,b}'.repeat(9),
    'artifact:',
    'artifact:/x',
    'artifact:../x',
    'artifact:a/../b',
    'artifact:{..,a}',
    42,
  ]
  for (const raw of rows) {
    assertInvalid(() => normaliseLockPath(raw as string, ROOT, { isDirectory, platform: 'linux' }), String(raw))
  }
})

test('normaliseLockPath treats backslash as a separator and ignores case of the root on win32', () => {
  const root = 'C:\\work\\main'
  const rows: Array<[string, string]> = [
    ['src\\a.ts', 'src/a.ts'],
    ['C:\\work\\main\\src\\a.ts', 'src/a.ts'],
    ['c:/WORK/Main/src/a.ts', 'src/a.ts'],
    ['src\\', 'src/**'],
    ['.\\src\\..\\lib\\x.ts', 'lib/x.ts'],
    ['artifact:r\\a.md', 'artifact:r/a.md'],
  ]
  for (const [raw, expected] of rows) {
    assert.equal(normaliseLockPath(raw, root, { isDirectory: () => false, platform: 'win32' }), expected, raw)
  }
  for (const raw of ['D:\\work\\main\\x', '\\other', '..\\x', 'C:\\work\\main']) {
    assertInvalid(() => normaliseLockPath(raw, root, { isDirectory: () => false, platform: 'win32' }), raw)
  }
  assert.equal(normaliseLockPath('/work/main/x', '/Work/Main', { isDirectory, platform: 'darwin' }), 'x')
})

test('normaliseLockPath stores an existing directory as <dir>/** by default', () => {
  const root = mkdtempSync(join(tmpdir(), 'lock-paths-'))
  try {
    mkdirSync(join(root, 'lib'))
    writeFileSync(join(root, 'lib', 'a.ts'), '')
    assert.equal(normaliseLockPath('lib', root), 'lib/**')
    assert.equal(normaliseLockPath(join(root, 'lib'), root), 'lib/**')
    assert.equal(normaliseLockPath('lib/a.ts', root), 'lib/a.ts')
    assert.equal(normaliseLockPath('missing', root), 'missing')
    assert.equal(normaliseLockPath('lib/a.ts/b', root), 'lib/a.ts/b')
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

// [a, b, overlap without ignoreCase, overlap with ignoreCase (defaults to the same)]
const OVERLAPS: Array<[string, string, boolean, boolean?]> = [
  ['src/a.ts', 'src/a.ts', true],
  ['src/a.ts', 'src/b.ts', false],
  ['src/a.ts', 'src/a.tsx', false],
  ['src/**', 'src/a/b.ts', true],
  ['src/**', 'src', true],
  ['src/**', 'srcx/a', false],
  ['src/*.ts', 'src/a/b.ts', false],
  ['src/*.ts', 'src/a.ts', true],
  ['**', 'anything', true],
  ['**', 'a/b/c', true],
  ['src/**/*.ts', 'src/**/*.js', false],
  ['src/**/x/*.ts', 'src/a/**', true],
  ['src/**/x/*.ts', 'lib/**', false],
  ['src/{a,b}.ts', 'src/b.ts', true],
  ['src/{a,b}.ts', 'src/c.ts', false],
  ['src/{a,b/c}.ts', 'src/b/c.ts', true],
  ['src/{a,b/c}.ts', 'src/b/*.js', false],
  ['{src,lib}/**', 'lib/x', true],
  ['{src,lib}/**', 'docs/x', false],
  ['src/{a,{b,c}}.ts', 'src/c.ts', true],
  ['src/{a,b}.ts', 'src/{c,d}.ts', false],
  ['src/{a,b}.ts', 'src/{b,c}.ts', true],
  ['src/[ab].ts', 'src/c.ts', false],
  ['src/[ab].ts', 'src/b.ts', true],
  ['src/[!ab].ts', 'src/a.ts', false],
  ['src/[^ab].ts', 'src/c.ts', true],
  ['src/[a-c].ts', 'src/[d-f].ts', false],
  ['src/[a-d].ts', 'src/[d-f].ts', true],
  ['src/[!a].ts', 'src/[a].ts', false],
  ['src/[!a].ts', 'src/[!b].ts', true],
  ['src/[]].ts', 'src/].ts', true],
  ['*.ts', 'a*', true],
  ['*.ts', '*.js', false],
  ['a?c', 'abc', true],
  ['a?c', 'ac', false],
  ['a*', '*b', true],
  ['a*b*c', '*x*', true],
  ['a*b', 'a*c', false],
  ['a/*', 'a/**', true],
  ['*', 'a/b', false],
  ['*/a', 'a', false],
  ['**/x.ts', 'src/a/x.ts', true],
  ['**/x.ts', 'x.ts', true],
  ['src/**/a', 'src/a', true],
  ['a/**/b/**/c', 'a/b/c', true],
  ['a/**/b', 'a/**/c', false],
  ['a/**/b', '**/c', false],
  ['artifact:x', 'x', false],
  ['artifact:**', '**', false],
  ['artifact:r/*', 'artifact:r/a', true],
  ['artifact:r/*', 'artifact:s/a', false],
  ['artifact:r/**', 'artifact:r/*.md', true],
  ['a[1].ts', 'a[1].ts', true],
  ['a[1].ts', 'a?1?.ts', true],
  ['src/[ab', 'src/[ab', true],
  ['src/[ab', 'src/a', false],
  ['src/é*', 'src/éa', true],
  ['SRC/A.ts', 'src/a.ts', false, true],
  ['SRC/**', 'src/x', false, true],
  ['src/[A-C].ts', 'src/b.ts', false, true],
  ['src/[!a].ts', 'src/A.ts', true, false],
  ['src/*.TS', 'src/*.ts', false, true],
  ['artifact:R/a', 'artifact:r/A', false, true],
]

test('lockPathsOverlap decides overlap in both argument orders', () => {
  for (const [a, b, exact, folded = exact] of OVERLAPS) {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      assert.equal(lockPathsOverlap(x, y, { ignoreCase: false }), exact, `${x} ~ ${y}`)
      assert.equal(lockPathsOverlap(x, y, { ignoreCase: true }), folded, `${x} ~ ${y} ignoring case`)
    }
  }
})

test('lockPathsOverlap ignores case by default only on darwin and win32', () => {
  assert.equal(PLATFORM_IGNORES_CASE, process.platform === 'darwin' || process.platform === 'win32')
  assert.equal(lockPathsOverlap('SRC/A.ts', 'src/a.ts'), PLATFORM_IGNORES_CASE)
})

test('lockPathsOverlap and lockPathMatches are conservative past the brace limit', () => {
  const huge = `${'{a,b}'.repeat(9)}.ts`
  assert.equal(lockPathsOverlap(huge, 'zzz', { ignoreCase: false }), true)
  assert.equal(lockPathMatches(huge, 'zzz', { ignoreCase: false }), true)
})

test('lockPathMatches matches a concrete path against a pattern', () => {
  const rows: Array<[string, string, boolean]> = [
    ['src/**', 'src/a/b.ts', true],
    ['src/**', 'lib/a.ts', false],
    ['src/*.ts', 'src/a.ts', true],
    ['src/*.ts', 'src/a/b.ts', false],
    ['**', 'x', true],
    ['src/{a,b}.ts', 'src/b.ts', true],
    ['src/a.ts', 'src/a.ts', true],
    ['src/a.ts', 'src/b.ts', false],
    ['src/*', 'src/*', true],
    ['src/?', 'src/ab', false],
    ['src/[a-c]*', 'src/cat', true],
    ['src/[a-c]*', 'src/dog', false],
    ['a[1].ts', 'a[1].ts', true],
    ['a[1].ts', 'a1.ts', true],
    ['artifact:r/*', 'artifact:r/a', true],
    ['artifact:r/*', 'r/a', false],
    ['r/*', 'artifact:r/a', false],
  ]
  for (const [pattern, path, expected] of rows) {
    assert.equal(lockPathMatches(pattern, path, { ignoreCase: false }), expected, `${pattern} ~ ${path}`)
  }
  assert.equal(lockPathMatches('SRC/*.ts', 'src/A.ts', { ignoreCase: true }), true)
  assert.equal(lockPathMatches('SRC/*.ts', 'src/A.ts', { ignoreCase: false }), false)
})

test('isGlob recognises wildcards, classes and braces', () => {
  const rows: Array<[string, boolean]> = [
    ['src/a.ts', false],
    ['src/*.ts', true],
    ['src/?.ts', true],
    ['src/[ab].ts', true],
    ['src/{a,b}.ts', true],
    ['**', true],
    ['artifact:r/a.md', false],
  ]
  for (const [path, expected] of rows) assert.equal(isGlob(path), expected, path)
})

// ---- randomized check against an independent reference matcher ----

type Part = { segment: string[] } | { brace: string[][][] }

function mulberry32(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const PIECES = ['a', 'b', 'c', '?', '*', '[ab]', '[!a]', '[b-c]']

function randomPattern(random: () => number, simple: boolean): Part[] {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!
  const pieces = simple ? ['a', 'b', 'c', '?'] : PIECES
  const count = (max: number): number => 1 + Math.floor(random() * max)
  const segment = (): string[] => (!simple && random() < 0.15 ? ['**'] : Array.from({ length: count(2) }, () => pick(pieces)))
  return Array.from({ length: count(3) }, (): Part => {
    if (simple || random() >= 0.15) return { segment: segment() }
    return { brace: [0, 1].map(() => Array.from({ length: count(2) }, segment)) }
  })
}

function render(parts: Part[]): string {
  const segments = (list: string[][]): string => list.map((pieces) => pieces.join('')).join('/')
  return parts.map((part) => ('segment' in part ? segments([part.segment]) : `{${part.brace.map(segments).join(',')}}`)).join('/')
}

/** A matcher built from the pattern's structure, independent of the code under test. */
function referenceMatcher(parts: Part[]): (path: string[]) => boolean {
  let alternatives: string[][][] = [[]]
  for (const part of parts) {
    const options = 'segment' in part ? [[part.segment]] : part.brace
    alternatives = alternatives.flatMap((prefix) => options.map((option) => [...prefix, ...option]))
  }
  const toSource = (piece: string): string => (piece === '*' ? '[^/]*' : piece === '?' ? '[^/]' : piece.replace('[!', '[^'))
  const toRegex = (pieces: string[]): RegExp | '**' => (pieces.join('') === '**' ? '**' : new RegExp(`^${pieces.map(toSource).join('')}$`))
  const compiled = alternatives.map((alternative) => alternative.map(toRegex))
  const match = (pattern: Array<RegExp | '**'>, rest: string[]): boolean => {
    if (pattern.length === 0) return rest.length === 0
    const [head, ...tail] = pattern
    if (head === '**') return match(tail, rest) || (rest.length > 0 && match(pattern, rest.slice(1)))
    return rest.length > 0 && head!.test(rest[0]!) && match(tail, rest.slice(1))
  }
  return (path) => compiled.some((alternative) => match(alternative, path))
}

function universe(): string[][] {
  const segments = ['a', 'b', 'c'].flatMap((x) => [x, ...['a', 'b', 'c'].map((y) => x + y)])
  let level: string[][] = segments.map((s) => [s])
  const all = [...level]
  for (let depth = 2; depth <= 3; depth++) {
    level = level.flatMap((prefix) => segments.map((s) => [...prefix, s]))
    all.push(...level)
  }
  return all
}

test('lockPathsOverlap has no false negatives on random patterns', () => {
  const random = mulberry32(20240611)
  const paths = universe()
  for (let round = 0; round < 300; round++) {
    const simple = round % 3 === 0
    const a = randomPattern(random, simple)
    const b = randomPattern(random, simple)
    const [textA, textB] = [render(a), render(b)]
    const [matchA, matchB] = [referenceMatcher(a), referenceMatcher(b)]
    let witness = false
    for (const path of paths) {
      const inA = matchA(path)
      const inB = matchB(path)
      witness ||= inA && inB
      if (round < 30) {
        const concrete = path.join('/')
        assert.equal(lockPathMatches(textA, concrete, { ignoreCase: false }), inA, `${textA} ~ ${concrete}`)
      }
    }
    const overlap = lockPathsOverlap(textA, textB, { ignoreCase: false })
    if (witness) assert.equal(overlap, true, `${textA} ~ ${textB} share a path`)
    // star-free patterns of at most 3 segments of 2 characters are fully covered by the universe
    if (simple) assert.equal(overlap, witness, `${textA} ~ ${textB}`)
  }
})
