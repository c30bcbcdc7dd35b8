import * as v from 'valibot'
import { LockstepError } from './errors.js'

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/** Validate external input once, at the boundary. Throws INVALID_INPUT naming the property, the rule and the accepted values. */
export function parseInput<S extends v.GenericSchema>(schema: S, raw: unknown): v.InferOutput<S> {
  const input = raw ?? {}
  const badKey = findForbiddenKey(input, '', 0)
  if (badKey) throw new LockstepError('INVALID_INPUT', `Property ${badKey} is not allowed; remove it and call again.`, { property: badKey })
  const result = v.safeParse(schema, input, { abortEarly: true })
  if (result.success) return result.output
  const issue = result.issues[0]
  const property = issue.path?.map((item) => String(item.key)).join('.') || '(arguments)'
  const message =
    issue.kind === 'schema' && issue.type === 'strict_object' && issue.expected === 'never'
      ? `Unknown property ${property}; remove it (see the tool's input schema).`
      : `Invalid ${property}: ${issue.message}.`
  throw new LockstepError('INVALID_INPUT', message, { property, expected: issue.expected, received: issue.received })
}

function findForbiddenKey(value: unknown, path: string, depth: number): string | null {
  if (depth > 64 || typeof value !== 'object' || value === null) return null
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${key}` : key
    if (FORBIDDEN_KEYS.has(key)) return here
    const found = findForbiddenKey((value as Record<string, unknown>)[key], here, depth + 1)
    if (found) return found
  }
  return null
}

function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0
  let deepest = 0
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child))
  return deepest + 1
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/
const RESERVED_NAMES = new Set(['system', 'human', 'anonymous'])

export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name) && !name.includes('..') && !name.endsWith('.') && !name.toLowerCase().endsWith('.lock')
}

export const Name = v.pipe(
  v.string(),
  v.check(isValidName, 'a name is 1–40 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit, without "..", not ending in "." or ".lock"'),
  v.check((name) => !RESERVED_NAMES.has(name.toLowerCase()), 'the names system, human and anonymous are reserved'),
)
export const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(64))
export const ProjectRoot = v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(1024)))
export const Title = v.pipe(v.string(), v.minLength(1), v.maxLength(200))
export const LongText = v.pipe(v.string(), v.maxLength(20_000))
export const ReviewText = v.pipe(v.string(), v.minLength(1), v.maxLength(10_000))
export const Tags = v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(50))), v.maxLength(20))
export const ContextList = v.pipe(v.array(v.pipe(v.string(), v.maxLength(2000))), v.maxLength(100))
export const Limit = (fallback: number, max = 1000) => v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(max)), fallback)
export const JsonObject = v.pipe(
  v.custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), 'Invalid type: expected a JSON object'),
  v.record(v.string(), v.unknown()),
  v.check((value) => JSON.stringify(value).length <= 16 * 1024, 'at most 16 KiB when serialised'),
  v.check((value) => depthOf(value) <= 8, 'at most 8 levels deep'),
)

/** Keep the first of each value, in order. */
export function unique<T>(items: T[]): T[] {
  return [...new Set(items)]
}
