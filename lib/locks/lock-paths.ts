import { statSync } from 'node:fs'
import { posix, win32 } from 'node:path'
import { compileGlob, compileLiteral, expandBraces, foldCase, globsOverlap, MAX_ALTERNATIVES } from './_glob.js'
import { LockstepError } from '../errors.js'

/** Default for ignoreCase on this platform: true on darwin and win32. */
export const PLATFORM_IGNORES_CASE: boolean = ignoresCase(process.platform)

const MAX_LOCK_PATH_LENGTH = 1024
export const ARTIFACT_PREFIX = 'artifact:'

export type NormaliseOptions = {
  isDirectory?: (absPath: string) => boolean
  /** Defaults to process.platform; decides whether `\` is a separator and how the work root is compared. */
  platform?: NodeJS.Platform
}

export type OverlapOptions = { ignoreCase?: boolean }

/** Normalise a lock path given by an agent. Throws LockstepError('INVALID_INPUT', ...) naming the path and the rule. */
export function normaliseLockPath(raw: string, workRoot: string, opts: NormaliseOptions = {}): string {
  if (typeof raw !== 'string' || raw === '') {
    throw invalid(raw, 'it is empty', 'name a file, a directory or a glob relative to the work root')
  }
  if (raw.length > MAX_LOCK_PATH_LENGTH) {
    throw invalid(raw, `it is over ${MAX_LOCK_PATH_LENGTH} characters`, 'lock a shorter path or a parent directory')
  }
  if (raw.includes('\0')) throw invalid(raw, 'it contains a NUL character', 'remove it')
  const platform = opts.platform ?? process.platform
  const text = platform === 'win32' ? raw.replaceAll('\\', '/') : raw
  if (text.startsWith(ARTIFACT_PREFIX)) {
    return ARTIFACT_PREFIX + normaliseArtifact(raw, text.slice(ARTIFACT_PREFIX.length))
  }

  const paths = platform === 'win32' ? win32 : posix
  const root = paths.resolve(workRoot).replaceAll('\\', '/')
  let segments = resolveSegments(raw, text)
  if (paths.isAbsolute(text)) {
    const rootSegments = resolveSegments(raw, root)
    const same = (a: string, b: string): boolean => (ignoresCase(platform) ? foldText(a) === foldText(b) : a === b)
    if (!rootSegments.every((segment, k) => segments[k] !== undefined && same(segment, segments[k]!))) {
      throw outsideRoot(raw, root)
    }
    segments = segments.slice(rootSegments.length)
  }
  if (segments.length === 0) {
    throw invalid(raw, 'it names the work root itself', 'lock "**" for the whole project, or name a path inside it')
  }
  checkAlternatives(raw, segments.join('/'), () => outsideRoot(raw, root))

  const last = text.split('/').at(-1)
  const writtenAsDirectory = last === '' || last === '.' || last === '..'
  const isDirectory = opts.isDirectory ?? statIsDirectory
  if (writtenAsDirectory || (!isGlob(segments.join('/')) && isDirectory(paths.join(root, ...segments)))) {
    segments.push('**')
  }
  const normal = joinSegments(segments)
  if (normal.length > MAX_LOCK_PATH_LENGTH) {
    throw invalid(raw, `its normal form is over ${MAX_LOCK_PATH_LENGTH} characters`, 'lock a shorter path')
  }
  return normal
}

/** True when some concrete path could match both patterns (conservative: uncertain => true). */
export function lockPathsOverlap(a: string, b: string, opts: OverlapOptions = {}): boolean {
  const ignoreCase = opts.ignoreCase ?? PLATFORM_IGNORES_CASE
  const [kindA, patternA] = splitKind(a)
  const [kindB, patternB] = splitKind(b)
  if (kindA !== kindB) return false
  if (sameText(patternA, patternB, ignoreCase)) return true
  if (!isGlob(patternA) && !isGlob(patternB)) return false
  const globA = compileGlob(patternA, ignoreCase)
  const globB = compileGlob(patternB, ignoreCase)
  if (globA === undefined || globB === undefined) return true
  // there is no escape syntax, so a pattern also stands for the file whose name is its own text
  return globsOverlap(globA, globB) || globsOverlap(globA, compileLiteral(patternB, ignoreCase)) || globsOverlap(compileLiteral(patternA, ignoreCase), globB)
}

/** True when the concrete (literal, normalised, relative) path is matched by pattern. */
export function lockPathMatches(pattern: string, path: string, opts: OverlapOptions = {}): boolean {
  const ignoreCase = opts.ignoreCase ?? PLATFORM_IGNORES_CASE
  const [kindP, glob] = splitKind(pattern)
  const [kindC, concrete] = splitKind(path)
  if (kindP !== kindC) return false
  if (sameText(glob, concrete, ignoreCase)) return true
  if (!isGlob(glob)) return false
  const compiled = compileGlob(glob, ignoreCase)
  return compiled === undefined || globsOverlap(compiled, compileLiteral(concrete, ignoreCase))
}

export function isGlob(path: string): boolean {
  return /[*?[{]/.test(path)
}

function normaliseArtifact(raw: string, name: string): string {
  if (name.startsWith('/')) {
    throw invalid(raw, 'an artifact name cannot start with "/"', 'write it like artifact:reports/summary.md')
  }
  const noDotDot = (): LockstepError => invalid(raw, 'an artifact name cannot contain a ".." segment', 'write the name without it')
  const segments = name.split('/').filter((segment) => segment !== '' && segment !== '.')
  if (segments.includes('..')) throw noDotDot()
  if (segments.length === 0) {
    throw invalid(raw, 'the artifact name is empty', 'write it like artifact:reports/summary.md')
  }
  checkAlternatives(raw, segments.join('/'), noDotDot)
  if (name.endsWith('/')) segments.push('**')
  return joinSegments(segments)
}

function joinSegments(segments: string[]): string {
  return segments.filter((segment, k) => !(segment === '**' && segments[k - 1] === '**')).join('/')
}

/** Resolve `.`, `..` and empty segments; `..` may neither leave the start nor undo a wildcard segment. */
function resolveSegments(raw: string, text: string): string[] {
  const out: string[] = []
  for (const part of text.split('/')) {
    if (part === '' || part === '.') continue
    if (part !== '..') {
      out.push(part)
      continue
    }
    const undone = out.pop()
    if (undone === undefined) throw invalid(raw, 'it resolves outside the work root', 'give a path inside the project')
    if (isGlob(undone)) {
      throw invalid(raw, `".." follows the wildcard segment "${undone}"`, 'write the path without ".."')
    }
  }
  return out
}

/** Braces can hide a `..` segment, and expand without bound. */
function checkAlternatives(raw: string, pattern: string, dotDot: () => LockstepError): void {
  const alternatives = expandBraces(pattern)
  if (alternatives === undefined) {
    throw invalid(raw, `its braces expand to more than ${MAX_ALTERNATIVES} alternatives`, 'lock fewer or broader paths')
  }
  if (alternatives.some((alternative) => alternative.split('/').includes('..'))) throw dotDot()
}

function splitKind(lockPath: string): ['artifact' | 'file', string] {
  return lockPath.startsWith(ARTIFACT_PREFIX) ? ['artifact', lockPath.slice(ARTIFACT_PREFIX.length)] : ['file', lockPath]
}

function sameText(a: string, b: string, ignoreCase: boolean): boolean {
  return ignoreCase ? foldText(a) === foldText(b) : a === b
}

function foldText(text: string): string {
  return String.fromCodePoint(...Array.from(text, (ch) => foldCase(ch.codePointAt(0)!)))
}

function ignoresCase(platform: NodeJS.Platform): boolean {
  return platform === 'darwin' || platform === 'win32'
}

function statIsDirectory(absPath: string): boolean {
  try {
    // most lock paths name files that do not exist yet: no exception for those
    return statSync(absPath, { throwIfNoEntry: false })?.isDirectory() ?? false
  } catch {
    return false
  }
}

function outsideRoot(raw: string, root: string): LockstepError {
  const next = 'give a path inside the project, relative to its root'
  return invalid(raw, `it resolves outside the work root ${root}`, next)
}

function invalid(raw: unknown, reason: string, next: string): LockstepError {
  return new LockstepError('INVALID_INPUT', `Lock path ${JSON.stringify(raw)} is invalid: ${reason}; ${next}.`, {
    path: raw,
  })
}
