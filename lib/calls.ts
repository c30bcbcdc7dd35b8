import type { Ctx } from './context.js'
import { LockstepError } from './errors.js'
import { toolsFor } from './mcp/tools.js'
import type { Notice } from './schema.js'
import { collectNotices, renewIfDue } from './sessions.js'

export type CallOutcome = { ok: true; value: unknown; notices: Notice[] } | { ok: false; error: unknown; notices: Notice[] }

/**
 * Run one tool call for a session: renew its leases when due, call the tool, then hand over the notices queued
 * for it. Errors are returned, not thrown, so each adapter maps them once. An error result carries no notices, so
 * they stay queued for the next result instead of being cleared unseen.
 */
export async function callTool(ctx: Ctx, name: string, args: unknown): Promise<CallOutcome> {
  const tool = toolsFor(ctx.settings.tools).find((item) => item.name === name)
  if (!tool) {
    const error = new LockstepError('NOT_FOUND', `No tool ${name} in the active profile "${ctx.settings.tools}"; list the tools again (tools/list).`, {
      tool: name,
      profile: ctx.settings.tools,
    })
    return { ok: false, error, notices: [] }
  }
  await renewIfDue(ctx).catch(() => undefined)
  let value: unknown
  try {
    value = await tool.handler(ctx, args)
  } catch (error) {
    return { ok: false, error, notices: [] }
  }
  return { ok: true, value, notices: await collectNotices(ctx).catch(() => []) }
}
