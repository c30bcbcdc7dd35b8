import { LockstepError } from '../errors.js'
import { newId } from '../core/ids.js'
import { trimmed } from '../state/project-tx.js'
import { type Docs, type DomainTx } from '../state/domain-tx.js'
import type { Discussion, Message } from '../state/schema.js'
import { sameName } from '../core/names.js'

const PRIORITY_RANK: Record<Discussion['priority'], number> = { blocking: 0, high: 1, medium: 2, low: 3 }

/** The discussion with this id. Throws NOT_FOUND. */
export function discussionById(discussions: Discussion[], id: string): Discussion {
  const discussion = discussions.find((item) => item.id === id)
  if (!discussion) throw new LockstepError('NOT_FOUND', `No discussion ${id} in this project; list discussions with discussion_list.`, { discussionId: id })
  return discussion
}

/** Priority (blocking first), then newest first. */
export function byPriorityThenNewest(a: Discussion, b: Discussion): number {
  return PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id)
}

export function matchesFilters(item: Discussion, filters: Partial<Pick<Discussion, 'status' | 'category' | 'priority' | 'waitingOn'>>): boolean {
  return (
    (filters.status === undefined || item.status === filters.status) &&
    (filters.category === undefined || item.category === filters.category) &&
    (filters.priority === undefined || item.priority === filters.priority) &&
    (filters.waitingOn === undefined || sameName(item.waitingOn, filters.waitingOn))
  )
}

export function messagesOf(messages: Message[], discussionId: string): Message[] {
  return messages.filter((message) => message.discussionId === discussionId).sort((a, b) => a.createdAt.localeCompare(b.createdAt))
}

/** The creator and every author, once each (names compare without case). */
export function participantsOf(discussion: Discussion, messages: Message[]): string[] {
  const names: string[] = []
  for (const name of [discussion.createdBy, ...messagesOf(messages, discussion.id).map((message) => message.author)]) {
    if (!names.some((known) => sameName(known, name))) names.push(name)
  }
  return names
}

/**
 * Whom a reply waits on when the caller does not say: the author of the latest message by someone else. Before
 * anyone else has written, the one already waited on stays waited on.
 */
export function defaultWaitingOn(discussion: Discussion, messages: Message[], author: string): string | undefined {
  const others = messagesOf(messages, discussion.id).filter((message) => !sameName(message.author, author))
  if (others.length) return others[others.length - 1].author
  return sameName(discussion.waitingOn, author) ? undefined : discussion.waitingOn
}

export function publicDiscussion(discussion: Discussion): Discussion {
  return { ...discussion }
}

export function publicMessage(message: Message): Message {
  return { ...message }
}

function replyCall(discussion: Discussion): string {
  return `discussion_reply({discussionId: "${discussion.id}", message})`
}

function resolveCall(discussion: Discussion): string {
  return `discussion_resolve({discussionId: "${discussion.id}", decision, reasoning})`
}

export function startInstruction(discussion: Discussion): string {
  if (discussion.waitingOn) {
    return [
      `${discussion.waitingOn} is expected to answer next, with ${replyCall(discussion)}.`,
      'Carry on with other work meanwhile; events_wait({types: ["discussion.*"], mine: true}) wakes you when the answer arrives.',
    ].join('\n')
  }
  return `Nobody is waited on: anyone may answer with ${replyCall(discussion)}. Start with waitingOn to ask someone specific.`
}

export function replyInstruction(discussion: Discussion): string {
  const settle = `Once the question is settled, record the outcome with ${resolveCall(discussion)}.`
  if (discussion.waitingOn) return `${discussion.waitingOn} is expected to answer next, with ${replyCall(discussion)}. ${settle}`
  return `Nobody is waited on now. ${settle} To ask someone, reply with waitingOn set to their name.`
}

export function resolveInstruction(discussion: Discussion, participants: string[]): string {
  const others = participants.filter((name) => !sameName(name, discussion.decidedBy))
  const who = others.length ? `${others.join(', ')} act${others.length === 1 ? 's' : ''} on the decision` : 'Act on the decision'
  const where = discussion.linkedTaskId ? ` in task ${discussion.linkedTaskId}` : ''
  return `${who}${where}. To revise it, call discussion_resolve again; to reopen the question, start a new discussion that refers to ${discussion.id}.`
}

export function inboxInstruction(agent: string, waiting: Discussion[]): string {
  if (!waiting.length) return `Nothing waits on ${agent}. events_wait({types: ["discussion.*"], mine: true}) wakes you when someone asks.`
  return [
    `${agent} is expected to answer ${waiting.length} discussion(s), blocking ones first: discussion_reply({discussionId, message}) for each.`,
    'When a question is settled, record the outcome with discussion_resolve({discussionId, decision, reasoning}).',
  ].join('\n')
}

export function archiveMessage(discussion: Discussion): string {
  return `${discussion.id} is archived. discussion_cleanup deletes it with its messages once it has been archived longer than deleteOlderThanDays (default 30); discussion_resolve un-archives it.`
}

export function archive(doc: Docs['discussions'], discussion: Discussion, tx: DomainTx<'discussions'>): void {
  const now = tx.now.toISOString()
  Object.assign(discussion, { status: 'archived', archivedAt: now, updatedAt: now })
  // nobody is expected to answer an archived discussion; discussion_resolve brings it back
  delete discussion.waitingOn
  tx.emit({ type: 'discussion.archived', actor: tx.actor, ids: { discussionId: discussion.id }, ...forNames(participantsOf(discussion, doc.messages)), ...decisionData(discussion) })
}

export function addMessage(messages: Message[], discussionId: string, author: string, text: string, recommendation: string | undefined, now: string): Message {
  const message: Message = { id: newId('msg'), discussionId, author, message: text, ...(recommendation !== undefined ? { recommendation } : {}), createdAt: now }
  messages.push(message)
  return message
}

export function forNames(names: string[]): { for?: string[] } {
  return names.length ? { for: names } : {}
}

export function decisionData(discussion: Discussion): { data?: { decision: string } } {
  return discussion.decision !== undefined ? { data: { decision: trimmed(discussion.decision) } } : {}
}
