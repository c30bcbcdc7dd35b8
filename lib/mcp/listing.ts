import { toJsonSchema } from '@valibot/to-json-schema'
import { describeParam } from './_params.js'
import type { ToolDef } from './tools.js'

type Json = Record<string, unknown>

export interface ListedTool {
  name: string
  description: string
  inputSchema: { type: 'object'; properties?: Json; required?: string[] }
  annotations?: { readOnlyHint?: true; destructiveHint?: true; idempotentHint?: true }
}

/**
 * The tool as tools/list advertises it. Agents pay for every byte, so the schema keeps what a caller must know
 * (types, enumerations, required, one description per parameter) and leaves length and range limits to the
 * server, which still enforces them. Annotations name only the hints that are true.
 */
export function listedTool(tool: ToolDef, profile?: string): ListedTool {
  const json = toJsonSchema(tool.input, { errorMode: 'ignore' }) as Json
  const properties: Json = {}
  for (const [param, schema] of Object.entries((json.properties ?? {}) as Record<string, Json>)) {
    const key = `${tool.name}.${param}`
    if (param === 'projectRoot' ? !PROJECT_TOOLS.has(tool.name) : IDENTITY.has(key) || UNUSED.has(key)) continue
    if (profile === 'implementer' && PLANNER_ONLY.has(key)) continue
    const description = describeParam(tool.name, param)
    properties[param] = { ...(description ? { description } : {}), ...compact(schema) }
  }
  const required = json.required as string[] | undefined
  const inputSchema: ListedTool['inputSchema'] = { type: 'object', ...(Object.keys(properties).length ? { properties } : {}), ...(required?.length ? { required } : {}) }
  const hints = {
    ...(tool.readOnly ? { readOnlyHint: true as const } : {}),
    ...(tool.destructive ? { destructiveHint: true as const } : {}),
    ...(tool.idempotent && !tool.readOnly ? { idempotentHint: true as const } : {}),
  }
  return { name: tool.name, description: tool.description, inputSchema, ...(Object.keys(hints).length ? { annotations: hints } : {}) }
}

// A registered session is bound to its project, so only the tool that binds one advertises projectRoot; every
// project-scoped tool still accepts it.
const PROJECT_TOOLS = new Set(['coordination_init'])

// Identity parameters default to the registered name (docs/tools.md): a registered agent never sends them, so they
// are accepted but not advertised.
const IDENTITY = new Set([
  'task_claim.owner',
  'task_claim_next.owner',
  'task_submit_for_review.owner',
  'lock_acquire.owner',
  'lock_release.owner',
  'note_append.author',
  'discussion_start.author',
  'discussion_reply.author',
  'discussion_resolve.decidedBy',
  'discussion_inbox.agent',
  'file_write.owner',
  'artifact_write.owner',
])

// Options only a planner may use (marked in docs/tools.md): an implementer's list leaves them out, the server still refuses them.
const PLANNER_ONLY = new Set(['task_update.title', 'task_update.complexity', 'task_update.priority', 'task_update.dependsOn', 'task_update.owner', 'lock_release.force'])

// accepted for compatibility, with no effect or the same effect as another parameter (binary: encoding base64)
const UNUSED = new Set(['artifact_write.createDirs', 'file_read.binary', 'artifact_read.binary'])

const KEPT = new Set(['type', 'enum', 'const', 'items', 'anyOf', 'properties', 'required'])

function compact(schema: Json): Json {
  const out: Json = {}
  for (const [key, value] of Object.entries(schema)) {
    if (!KEPT.has(key)) continue
    // a list of strings says so in its description
    if (key === 'items') {
      if ((value as Json).type !== 'string' || (value as Json).enum) out.items = compact(value as Json)
    } else if (key === 'anyOf') {
      // a union of plain types (string or null) is one type list, which every client reads
      const branches = (value as Json[]).map(compact)
      if (branches.every((branch) => Object.keys(branch).length === 1 && typeof branch.type === 'string')) out.type = branches.map((branch) => branch.type)
      else out.anyOf = branches
    } else if (key === 'properties') out.properties = Object.fromEntries(Object.entries(value as Record<string, Json>).map(([name, item]) => [name, compact(item)]))
    else out[key] = value
  }
  // an enumeration of strings says its type by its values (Codex adds it back); a plain string keeps its type,
  // because Codex drops the description of a property that has none
  if (out.enum && out.type === 'string') delete out.type
  // an object of free keys (metadata, env, payload) says only that it is an object
  if (out.type === 'object' && !out.properties) return { type: 'object' }
  return out
}
