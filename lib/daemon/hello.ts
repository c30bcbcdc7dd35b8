import * as v from 'valibot'
import type { Binding } from '../state/context.js'

/**
 * The first line a relay sends on its connection, before any JSON-RPC: who it is, the settings its command line and
 * environment give, and, after the shared server was restarted, the session it had.
 */
export interface Hello {
  lockstep: 'hello'
  token: string
  version: string
  pid: number
  cwd: string
  flags: Record<string, string | undefined>
  env: Record<string, string>
  resume?: { sessionId: string; binding?: Binding | undefined }
}

/** The shared server's answer to a hello, and afterwards what it tells the relay about the session (never sent on). */
export type Control =
  | { lockstep: 'ready'; sessionId: string }
  | { lockstep: 'refused'; code: string; message: string }
  | { lockstep: 'session'; binding: Binding }
  /** The server is going before answering these requests, which change nothing: send them to the next one. */
  | { lockstep: 'again'; ids: (string | number)[] }

const Text = v.pipe(v.string(), v.maxLength(64 * 1024))
const BindingSchema = v.strictObject({
  projectId: Text,
  projectRoot: Text,
  agentId: Text,
  name: Text,
  role: v.picklist(['planner', 'implementer']),
})

const HelloSchema = v.strictObject({
  lockstep: v.literal('hello'),
  token: Text,
  version: Text,
  pid: v.pipe(v.number(), v.integer(), v.minValue(1)),
  cwd: v.pipe(Text, v.minLength(1)),
  flags: v.record(v.string(), v.optional(Text)),
  env: v.record(v.string(), v.string()),
  resume: v.optional(v.strictObject({ sessionId: v.pipe(Text, v.regex(/^sess-[0-9a-z]+$/)), binding: v.optional(BindingSchema) })),
})

export const MAX_HELLO_BYTES = 1024 * 1024

/** The hello, or undefined when the line is not one (the connection is then refused). */
export function parseHello(line: string): Hello | undefined {
  let raw: unknown
  try {
    raw = JSON.parse(line)
  } catch {
    return undefined
  }
  const parsed = v.safeParse(HelloSchema, raw)
  if (!parsed.success) return undefined
  // a record built by JSON.parse may carry "__proto__" as an own key: copy into prototype-less objects
  const hello = parsed.output as Hello
  return { ...hello, flags: plain(hello.flags), env: plain(hello.env) }
}

function plain<T>(record: Record<string, T>): Record<string, T> {
  const copy = Object.create(null) as Record<string, T>
  for (const [key, value] of Object.entries(record)) if (key !== '__proto__') copy[key] = value
  return copy
}
