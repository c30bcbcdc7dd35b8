import * as v from 'valibot'
import type { Ctx } from '../state/context.js'
import { LockstepError } from '../errors.js'
import { identityFor } from '../state/identity.js'
import { NOTES_ARCHIVE, mutate, mutateCommit } from '../state/project-tx.js'
import type { Note } from '../state/schema.js'
import { projectFor } from '../state/projects.js'
import type { LogEvent } from '../../storage/events.js'
import { JsonObject, Limit, Name, ProjectRoot, Visible, parseInput } from '../core/validate.js'

export const AppendNoteInput = v.strictObject({
  text: v.pipe(v.string(), v.minLength(1), v.maxLength(8000), Visible),
  author: v.optional(Name),
  projectRoot: ProjectRoot,
})

/** Post a note to the project's feed. */
export async function appendNote(ctx: Ctx, raw: unknown) {
  const input = parseInput(AppendNoteInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const author = await identityFor(ctx, project, input.author, 'author')
  return mutate(ctx, project, ['notes'], (_docs, tx) => tx.note(input.text, author), { actor: author })
}

export const ListNotesInput = v.strictObject({
  limit: Limit(100),
  since: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  author: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(40))),
  projectRoot: ProjectRoot,
})

/**
 * Notes oldest first: after `since`, or the last `limit`. Notes past the newest 2,000 live in the archive, which a
 * `since` older than the live ones pages through.
 */
export async function listNotes(ctx: Ctx, raw: unknown) {
  const input = parseInput(ListNotesInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const { notes } = await ctx.store.read(project, 'notes')
  const accept = (note: Note) => !input.author || note.author === input.author
  const matching = notes.filter(accept)
  if (input.since === undefined) return matching.slice(Math.max(0, matching.length - input.limit))
  const since = input.since
  const firstLive = notes[0]?.seq
  // read after the live notes: a note archived meanwhile is then in both, and is taken from the live ones
  const archived = firstLive === undefined || since + 1 < firstLive ? ctx.store.readArchive<Note>(project, NOTES_ARCHIVE, since, input.limit, { before: firstLive, accept }) : []
  return [...archived, ...matching.filter((note) => note.seq > since)].slice(0, input.limit)
}

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
