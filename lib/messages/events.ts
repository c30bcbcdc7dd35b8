// The project's event log as tools: log_append adds a custom event, events_wait reads and waits for events.
import * as v from 'valibot'
import type { Ctx } from '../state/context.js'
import { LockstepError } from '../errors.js'
import { mutateCommit } from '../state/project-tx.js'
import { projectFor } from '../state/projects.js'
import type { LogEvent } from '../../storage/journal/events.js'
import { JsonObject, Limit, ProjectRoot, parseInput } from '../core/validate.js'

export const AppendLogInput = v.strictObject({
  event: v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'an event name is 1–64 characters of a-z 0-9 _ . -, starting with a letter or digit')),
  payload: v.optional(JsonObject),
  projectRoot: ProjectRoot,
})

/** Append a custom event `custom.<event>`. */
export async function appendLog(ctx: Ctx, raw: unknown) {
  const input = parseInput(AppendLogInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const { commit } = await mutateCommit(ctx, project, [], (_docs, tx) => {
    tx.emit({ type: `custom.${input.event}`, actor: tx.actor, ids: {}, ...(input.payload ? { data: input.payload } : {}) })
  })
  return { ok: true as const, seq: commit.events[commit.events.length - 1].seq }
}

export const WaitEventsInput = v.strictObject({
  since: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  types: v.optional(v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(100))), v.maxLength(20))),
  mine: v.optional(v.boolean(), false),
  limit: Limit(100, 500),
  timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(60_000)), 30_000),
  projectRoot: ProjectRoot,
})

/** Long-poll the event log: return matching events after `since`, waiting up to `timeoutMs`. Holds no lock while waiting. */
export async function waitEvents(ctx: Ctx, raw: unknown) {
  const input = parseInput(WaitEventsInput, raw)
  if (input.mine && !ctx.caller.binding) {
    throw new LockstepError('INVALID_INPUT', 'mine needs a registered session: call coordination_init first, or filter with types.', { property: 'mine' })
  }
  const project = projectFor(ctx, input.projectRoot)
  const reader = ctx.store.eventReader(project)
  const name = ctx.caller.binding?.name.toLowerCase()
  const match = (event: LogEvent) =>
    (!input.types?.length || input.types.some((type) => (type.endsWith('*') ? event.type.startsWith(type.slice(0, -1)) : event.type === type))) &&
    (!input.mine || (event.for ?? []).some((item) => item.toLowerCase() === name))
  let since = input.since ?? (await reader.lastSeq())
  const deadline = Date.now() + input.timeoutMs
  let gap = false
  for (;;) {
    const page = await reader.readSince(since, input.limit, match)
    gap ||= page.gap
    if (page.events.length) return { events: page.events, cursor: page.cursor, timedOut: false, ...(gap ? { gap } : {}) }
    since = page.cursor
    const remaining = deadline - Date.now()
    if (remaining <= 0 || ctx.signal?.aborted) return { events: [], cursor: since, timedOut: !ctx.signal?.aborted, ...(gap ? { gap } : {}) }
    await ctx.store.waitForChange(project, remaining, ctx.signal)
  }
}
