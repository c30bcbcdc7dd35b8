import * as v from 'valibot'
import type { ProjectRef } from '../../storage/documents.js'
import type { Ctx } from '../state/context.js'
import { LockstepError } from '../errors.js'
import { newId } from '../core/ids.js'
import { identityFor } from '../state/identity.js'
import { mutate, trimmed } from '../state/project-tx.js'
import { projectFor } from '../state/projects.js'
import { DISCUSSION_CATEGORIES, DISCUSSION_PRIORITIES, DISCUSSION_STATUSES, type Discussion } from '../state/schema.js'
import { Id, Limit, LongText, Name, ProjectRoot, ReviewText, Title, parseInput } from '../core/validate.js'
import { sameName } from '../core/names.js'
import {
  addMessage,
  archive,
  archiveMessage,
  byPriorityThenNewest,
  decisionData,
  defaultWaitingOn,
  discussionById,
  forNames,
  inboxInstruction,
  matchesFilters,
  messagesOf,
  participantsOf,
  publicDiscussion,
  publicMessage,
  replyInstruction,
  resolveInstruction,
  startInstruction,
} from './discussion-views.js'

const DAY_MS = 86_400_000
const MessageText = v.pipe(LongText, v.minLength(1))
const Days = (fallback: number) => v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(3650)), fallback)

export const StartDiscussionInput = v.strictObject({
  topic: Title,
  message: MessageText,
  author: v.optional(Name),
  category: v.optional(v.picklist(DISCUSSION_CATEGORIES), 'other'),
  priority: v.optional(v.picklist(DISCUSSION_PRIORITIES), 'medium'),
  waitingOn: v.optional(Name),
  projectRoot: ProjectRoot,
})

/** Open a discussion with its first message. Throws INVALID_INPUT, FORBIDDEN. */
export async function startDiscussion(ctx: Ctx, raw: unknown) {
  const input = parseInput(StartDiscussionInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const author = await identityFor(ctx, project, input.author, 'author', { required: true })
  const target = input.waitingOn === undefined ? undefined : await knownAgent(ctx, project, input.waitingOn)
  return mutate(
    ctx,
    project,
    ['discussions', 'notes'],
    (docs, tx) => {
      const now = tx.now.toISOString()
      const waitingOn = target?.name
      const discussion: Discussion = {
        id: newId('disc'),
        topic: input.topic,
        category: input.category,
        priority: input.priority,
        status: waitingOn ? 'waiting' : 'open',
        createdBy: author,
        ...(waitingOn ? { waitingOn } : {}),
        messageCount: 1,
        createdAt: now,
        updatedAt: now,
      }
      docs.discussions.discussions.push(discussion)
      const message = addMessage(docs.discussions.messages, discussion.id, author, input.message, undefined, now)
      tx.note(`[DISCUSSION] ${author} opened "${discussion.topic}" (${discussion.id})${waitingOn ? `, waiting on ${waitingOn}` : ''}`)
      tx.emit({ type: 'discussion.started', actor: author, ids: { discussionId: discussion.id }, ...forNames(waitingOn ? [waitingOn] : []), data: { topic: trimmed(discussion.topic) } })
      return { success: true as const, discussion: publicDiscussion(discussion), message: publicMessage(message), instruction: startInstruction(discussion), ...target?.extra }
    },
    { actor: author },
  )
}

export const ReplyDiscussionInput = v.strictObject({
  discussionId: Id,
  message: MessageText,
  author: v.optional(Name),
  recommendation: v.optional(ReviewText),
  waitingOn: v.optional(v.nullable(Name)),
  projectRoot: ProjectRoot,
})

/** Add a message; by default the question goes back to whoever asked it. Throws NOT_FOUND, CONFLICT, FORBIDDEN. */
export async function replyDiscussion(ctx: Ctx, raw: unknown) {
  const input = parseInput(ReplyDiscussionInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const author = await identityFor(ctx, project, input.author, 'author', { required: true })
  const target = typeof input.waitingOn === 'string' ? await knownAgent(ctx, project, input.waitingOn) : undefined
  return mutate(
    ctx,
    project,
    ['discussions'],
    (docs, tx) => {
      const discussion = discussionById(docs.discussions.discussions, input.discussionId)
      if (discussion.status === 'resolved' || discussion.status === 'archived') {
        throw new LockstepError(
          'CONFLICT',
          `Discussion ${discussion.id} is ${discussion.status} and takes no more replies; start a new discussion (discussion_start) that refers to ${discussion.id}.`,
          { discussionId: discussion.id, status: discussion.status },
        )
      }
      const now = tx.now.toISOString()
      const waitingOn = input.waitingOn === null ? undefined : (target?.name ?? defaultWaitingOn(discussion, docs.discussions.messages, author))
      const message = addMessage(docs.discussions.messages, discussion.id, author, input.message, input.recommendation, now)
      Object.assign(discussion, { status: waitingOn ? 'waiting' : 'open', messageCount: discussion.messageCount + 1, updatedAt: now })
      if (waitingOn) discussion.waitingOn = waitingOn
      else delete discussion.waitingOn
      tx.emit({ type: 'discussion.replied', actor: author, ids: { discussionId: discussion.id }, ...forNames(waitingOn ? [waitingOn] : []), data: { topic: trimmed(discussion.topic) } })
      return { success: true as const, discussion: publicDiscussion(discussion), message: publicMessage(message), instruction: replyInstruction(discussion), ...target?.extra }
    },
    { actor: author },
  )
}

export const ResolveDiscussionInput = v.strictObject({
  discussionId: Id,
  decision: ReviewText,
  reasoning: ReviewText,
  decidedBy: v.optional(Name),
  linkedTaskId: v.optional(Id),
  projectRoot: ProjectRoot,
})

/** Record the decision, from any status; a second call revises it, and an archived discussion comes back. Throws NOT_FOUND, FORBIDDEN. */
export async function resolveDiscussion(ctx: Ctx, raw: unknown) {
  const input = parseInput(ResolveDiscussionInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const decidedBy = await identityFor(ctx, project, input.decidedBy, 'decidedBy', { required: true })
  if (input.linkedTaskId !== undefined) {
    const { tasks } = await ctx.store.read(project, 'tasks')
    if (!tasks.some((task) => task.id === input.linkedTaskId)) {
      throw new LockstepError('NOT_FOUND', `linkedTaskId ${input.linkedTaskId} is not a task of this project; check the id with task_list, or leave linkedTaskId out.`, {
        linkedTaskId: input.linkedTaskId,
      })
    }
  }
  return mutate(
    ctx,
    project,
    ['discussions', 'notes'],
    (docs, tx) => {
      const discussion = discussionById(docs.discussions.discussions, input.discussionId)
      const now = tx.now.toISOString()
      Object.assign(discussion, { status: 'resolved', decision: input.decision, decisionReasoning: input.reasoning, decidedBy, resolvedAt: now, updatedAt: now })
      if (input.linkedTaskId !== undefined) discussion.linkedTaskId = input.linkedTaskId
      delete discussion.waitingOn
      delete discussion.archivedAt
      const participants = participantsOf(discussion, docs.discussions.messages)
      // a note holds at most 8,000 characters; the whole decision stays on the discussion
      tx.note(`[DECISION] "${discussion.topic}" (${discussion.id}): ${trimmed(input.decision, 7000)} (by ${decidedBy})`)
      tx.emit({ type: 'discussion.resolved', actor: decidedBy, ids: { discussionId: discussion.id }, ...forNames(participants), data: { decision: trimmed(input.decision) } })
      return { success: true as const, discussion: publicDiscussion(discussion), instruction: resolveInstruction(discussion, participants) }
    },
    { actor: decidedBy },
  )
}

export const GetDiscussionInput = v.strictObject({ discussionId: Id, projectRoot: ProjectRoot })

/** A discussion with its messages, oldest first. Throws NOT_FOUND. */
export async function getDiscussion(ctx: Ctx, raw: unknown) {
  const input = parseInput(GetDiscussionInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const doc = await ctx.store.read(project, 'discussions')
  const discussion = discussionById(doc.discussions, input.discussionId)
  const messages = messagesOf(doc.messages, discussion.id).map(publicMessage)
  return { found: true as const, discussion: publicDiscussion(discussion), messages, messageCount: messages.length }
}

export const ListDiscussionsInput = v.strictObject({
  status: v.optional(v.picklist(DISCUSSION_STATUSES)),
  category: v.optional(v.picklist(DISCUSSION_CATEGORIES)),
  priority: v.optional(v.picklist(DISCUSSION_PRIORITIES)),
  waitingOn: v.optional(Name),
  limit: Limit(100),
  projectRoot: ProjectRoot,
})

/** Discussions matching every filter given, blocking first, then newest first. */
export async function listDiscussions(ctx: Ctx, raw: unknown) {
  const input = parseInput(ListDiscussionsInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const { discussions } = await ctx.store.read(project, 'discussions')
  const matching = discussions.filter((item) => matchesFilters(item, input)).sort(byPriorityThenNewest)
  const page = matching.slice(0, input.limit).map(publicDiscussion)
  return { count: page.length, total: matching.length, discussions: page }
}

export const DiscussionInboxInput = v.strictObject({ agent: v.optional(Name), projectRoot: ProjectRoot })

/** Discussions waiting on an agent (default: the caller). Throws INVALID_INPUT when an unregistered session names nobody. */
export async function discussionInbox(ctx: Ctx, raw: unknown) {
  const input = parseInput(DiscussionInboxInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  // agent is not an identity parameter (a registered session may name another agent here): anyone may look at anyone's inbox
  const agent = input.agent ?? ctx.caller.binding?.name ?? ctx.caller.fixedActor
  if (agent === undefined) {
    throw new LockstepError('INVALID_INPUT', 'Pass agent: this session never called coordination_init, so it has no name. Better: call coordination_init first.', {
      property: 'agent',
    })
  }
  const { discussions } = await ctx.store.read(project, 'discussions')
  const waiting = discussions.filter((item) => item.status === 'waiting' && sameName(item.waitingOn, agent)).sort(byPriorityThenNewest)
  return { agent, waitingCount: waiting.length, discussions: waiting.map(publicDiscussion), instruction: inboxInstruction(agent, waiting) }
}

export const ArchiveDiscussionInput = v.strictObject({ discussionId: Id, projectRoot: ProjectRoot })

/** Archive a discussion in any status; archiving it again keeps its first archivedAt. Throws NOT_FOUND. */
export async function archiveDiscussion(ctx: Ctx, raw: unknown) {
  const input = parseInput(ArchiveDiscussionInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  return mutate(ctx, project, ['discussions'], (docs, tx) => {
    const discussion = discussionById(docs.discussions.discussions, input.discussionId)
    if (discussion.status !== 'archived') archive(docs.discussions, discussion, tx)
    return { success: true as const, discussion: publicDiscussion(discussion), message: archiveMessage(discussion) }
  })
}

export const CleanupDiscussionsInput = v.strictObject({
  archiveOlderThanDays: Days(7),
  deleteOlderThanDays: Days(30),
  projectRoot: ProjectRoot,
})

/**
 * Archive resolved discussions past the first limit and delete, with their messages, archived ones past the second.
 * Only discussions archived before this call are deleted, so each discussion gets one event.
 */
export async function cleanupDiscussions(ctx: Ctx, raw: unknown) {
  const input = parseInput(CleanupDiscussionsInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  return mutate(ctx, project, ['discussions'], (docs, tx) => {
    const doc = docs.discussions
    const olderThan = (time: string | undefined, days: number) => time !== undefined && Date.parse(time) <= tx.now.getTime() - days * DAY_MS
    const doomed = doc.discussions.filter((item) => item.status === 'archived' && olderThan(item.archivedAt ?? item.updatedAt, input.deleteOlderThanDays))
    const stale = doc.discussions.filter((item) => item.status === 'resolved' && olderThan(item.resolvedAt ?? item.updatedAt, input.archiveOlderThanDays))
    for (const discussion of stale) archive(doc, discussion, tx)
    for (const discussion of doomed) {
      tx.emit({ type: 'discussion.deleted', actor: tx.actor, ids: { discussionId: discussion.id }, ...forNames(participantsOf(discussion, doc.messages)), ...decisionData(discussion) })
    }
    // deleting is for good: a copy of everything as it was is kept first
    if (doomed.length) tx.backup('cleanup')
    const gone = new Set(doomed.map((item) => item.id))
    doc.discussions = doc.discussions.filter((item) => !gone.has(item.id))
    doc.messages = doc.messages.filter((message) => !gone.has(message.discussionId))
    const message = `Archived ${stale.length} resolved discussion(s) older than ${input.archiveOlderThanDays} day(s); deleted ${doomed.length} archived discussion(s) older than ${input.deleteOlderThanDays} day(s), with their messages.`
    return { success: true as const, archived: stale.length, deleted: doomed.length, message }
  })
}

/** The agent named `name` (its stored spelling), with a warning when the project has no such agent. */
async function knownAgent(ctx: Ctx, project: ProjectRef, name: string): Promise<{ name: string; extra?: { warnings: string[] } }> {
  const { agents } = await ctx.store.read(project, 'agents')
  const agent = agents.find((item) => sameName(item.name, name))
  if (agent) return { name: agent.name }
  const warning = `waitingOn ${name} is not a known agent of this project, so nobody may see the question; check the name with status_get or implementer_list.`
  return { name, extra: { warnings: [warning] } }
}
