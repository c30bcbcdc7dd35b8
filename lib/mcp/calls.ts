import type { Ctx } from '../state/context.js'
import { LockstepError } from '../errors.js'
import { nearestNames } from './_nearest.js'
import { activeProfile, TOOLS, toolsFor, type ToolDef } from './tools.js'
import type { Notice } from '../state/schema.js'
import { collectNotices, renewIfDue } from '../agents/sessions.js'

/**
 * The tool of that name in the session's active profile. Throws NOT_FOUND naming the profile and the nearest
 * names; the MCP adapter sends it as a JSON-RPC error, as the protocol asks for an unknown tool.
 */
export function findTool(ctx: Ctx, name: string): ToolDef {
  const profile = activeProfile(ctx.settings, ctx.caller.binding?.role)
  const listed = toolsFor(profile)
  const tool = listed.find((item) => item.name === name)
  if (tool) return tool
  const hidden = TOOLS.some((item) => item.name === name)
  const nearest = nearestNames(
    name,
    listed.map((item) => item.name),
  )
  const why = hidden ? `${name} is not in the tool profile "${profile}"` : `There is no tool ${name}`
  throw new LockstepError('NOT_FOUND', `${why}; did you mean ${nearest.join(', ')}? List the tools with tools/list.`, { tool: name, profile, nearest })
}

export type CallOutcome = { ok: true; value: unknown; notices: Notice[] } | { ok: false; error: unknown; notices: Notice[] }

/**
 * Run one tool call for a session: renew its leases when due, call the tool, then hand over the notices queued
 * for it. Errors are returned, not thrown, so each adapter maps them once. An error result carries no notices, so
 * they stay queued for the next result instead of being cleared unseen.
 */
export async function callTool(ctx: Ctx, tool: ToolDef, args: unknown): Promise<CallOutcome> {
  await renewIfDue(ctx).catch(() => undefined)
  let value: unknown
  try {
    value = await tool.handler(ctx, args)
  } catch (error) {
    return { ok: false, error, notices: [] }
  }
  return { ok: true, value: tool.view ? tool.view(value as Record<string, unknown>) : value, notices: await collectNotices(ctx).catch(() => []) }
}
