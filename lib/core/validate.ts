import * as v from 'valibot'
import { LockstepError } from '../errors.js'

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/** Validate external input once, at the boundary. Throws INVALID_INPUT naming the property, the rule and the accepted values. */
export function parseInput<S extends v.GenericSchema>(schema: S, raw: unknown): v.InferOutput<S> {
  const input = raw ?? {}
  const badKey = findForbiddenKey(input, '', 0)
  if (badKey) throw new LockstepError('INVALID_INPUT', `Property ${badKey} is not allowed; remove it and call again.`, { property: badKey })
  const result = v.safeParse(schema, input, { abortEarly: true })
  if (result.success) return result.output
  const issue = result.issues[0]
  const keys = issue.path?.map((item) => String(item.key)) ?? []
  const property = keys.join('.') || '(arguments)'
  if (issue.kind === 'schema' && issue.type === 'strict_object' && issue.expected === 'never') {
    const accepted = Object.keys(entriesOf(schemaAt(schema, keys.slice(0, -1))) ?? {})
    throw new LockstepError('INVALID_INPUT', `Unknown property ${property}; remove it. Accepted: ${accepted.join(', ')}.`, { property, accepted })
  }
  const target = schemaAt(schema, keys)
  const allowed = optionsOf(target)
  const expected = target ? shapeOf(target) : issue.expected
  const missing = issue.type === 'strict_object' && issue.received === 'undefined'
  const detail = missing || issue.kind === 'schema' || issue.type === 'custom' ? `send ${expected}` : `${issue.message.replace(/^Invalid \w+: /, '').replace(/\.$/, '')}; send ${expected}`
  const message = missing ? `Missing ${property}: ${detail}.` : `Invalid ${property} ${clip(issue.input)}: ${detail}.`
  throw new LockstepError('INVALID_INPUT', message, { property, expected, ...(allowed ? { allowed } : {}), ...(missing ? {} : { received: issue.received }) })
}

type AnySchema = { type: string; wrapped?: AnySchema; entries?: Record<string, AnySchema>; item?: AnySchema; options?: unknown[]; pipe?: { type: string }[] }

const unwrap = (schema: AnySchema | undefined): AnySchema | undefined => (schema?.wrapped ? unwrap(schema.wrapped) : schema)
const entriesOf = (schema: AnySchema | undefined) => unwrap(schema)?.entries

/** The schema of the property at `keys`, through objects and arrays; undefined where it cannot be followed. */
function schemaAt(schema: v.GenericSchema, keys: string[]): AnySchema | undefined {
  let here: AnySchema | undefined = schema as unknown as AnySchema
  for (const key of keys) {
    here = unwrap(here)
    here = here?.type === 'array' ? here.item : here?.entries?.[key]
  }
  return unwrap(here)
}

function optionsOf(schema: AnySchema | undefined): string[] | undefined {
  const inner = unwrap(schema)
  if (inner?.type === 'picklist') return inner.options as string[]
  if (inner?.type === 'array') return optionsOf(inner.item)
  return undefined
}

/** What to send, in words an agent can act on: `one of "a", "b"`, `a list of strings`, `true or false`. */
function shapeOf(schema: AnySchema): string {
  const inner = unwrap(schema) ?? schema
  const checks = (inner.pipe ?? []).map((item) => item.type)
  switch (inner.type) {
    case 'picklist':
      return `one of ${(inner.options as string[]).map((option) => JSON.stringify(option)).join(', ')}`
    case 'literal':
      return 'true'
    case 'boolean':
      return 'true or false'
    case 'number':
      return checks.includes('integer') ? 'a whole number' : 'a number'
    case 'array':
      return `a list of ${inner.item ? plural(shapeOf(inner.item)) : 'values'}`
    case 'union':
      return (inner.options as AnySchema[]).map((option) => (option.type === 'null' ? 'null' : shapeOf(option))).join(' or ')
    case 'string':
      return checks.includes('min_length') ? 'a non-empty string' : 'a string'
    case 'strict_object':
    case 'object':
      return `an object with ${Object.keys(inner.entries ?? {}).join(', ')}`
    default:
      return 'a JSON object'
  }
}

function plural(shape: string): string {
  return shape.replace(/^an? (non-empty )?(\w+)/, (_all, adjective: string | undefined, noun: string) => `${adjective ?? ''}${noun}s`)
}

function clip(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
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
/** A text that shows something: not only spaces, line breaks or control characters. */
export const isVisible = (text: string) => /[^\s\p{Cc}\p{Cf}]/u.test(text)
const VISIBLE = 'needs visible characters, not only spaces or control characters'
export const Visible = v.check(isVisible, VISIBLE)
export const Title = v.pipe(v.string(), v.minLength(1), v.maxLength(200), Visible)
export const LongText = v.pipe(
  v.string(),
  v.maxLength(20_000),
  v.check((text: string) => text === '' || isVisible(text), VISIBLE),
)
export const ReviewText = v.pipe(v.string(), v.minLength(1), v.maxLength(10_000), Visible)
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
