import * as v from 'valibot'
import type { Ctx } from '../state/context.js'
import { identityFor } from '../state/identity.js'
import { NOTES_ARCHIVE, mutate } from '../state/project-tx.js'
import type { Note } from '../state/schema.js'
import { projectFor } from '../state/projects.js'
import { Limit, Name, ProjectRoot, Visible, parseInput } from '../core/validate.js'

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
  const { notes, archiveFloor = 0 } = await ctx.store.read(project, 'notes')
  const accept = (note: Note) => !input.author || note.author === input.author
  const matching = notes.filter(accept)
  if (input.since === undefined) return matching.slice(Math.max(0, matching.length - input.limit))
  const since = input.since
  const firstLive = notes[0]?.seq
  // notes archived before a session_reset stay in the file but are not read back
  const from = Math.max(since, archiveFloor - 1)
  // read after the live notes: a note archived meanwhile is then in both, and is taken from the live ones
  const archived = firstLive === undefined || from + 1 < firstLive ? await ctx.store.readArchive<Note>(project, NOTES_ARCHIVE, from, input.limit, { before: firstLive, accept }) : []
  return [...archived, ...matching.filter((note) => note.seq > since)].slice(0, input.limit)
}
