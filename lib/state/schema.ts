import * as v from 'valibot'
import type { DocumentDef, ProjectRef } from '../../storage/documents.js'

export const TASK_STATUSES = ['todo', 'in_progress', 'blocked', 'review', 'done'] as const
export const COMPLEXITIES = ['simple', 'medium', 'complex', 'critical'] as const
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const
export const ISOLATIONS = ['shared', 'worktree'] as const
export const PROJECT_STATUSES = ['planning', 'ready', 'in_progress', 'complete', 'stopped'] as const
export const ROLES = ['planner', 'implementer'] as const
const AGENT_TYPES = ['claude', 'codex', 'other'] as const
const LAUNCHERS = ['tmux', 'terminal', 'manual'] as const
const RELEASE_REASONS = ['released', 'forced', 'expired', 'holder_gone', 'task_done', 'task_returned', 'reset'] as const
export const DISCUSSION_CATEGORIES = ['architecture', 'implementation', 'blocker', 'question', 'other'] as const
export const DISCUSSION_PRIORITIES = ['low', 'medium', 'high', 'blocking'] as const
export const DISCUSSION_STATUSES = ['open', 'waiting', 'resolved', 'archived'] as const
const NOTICE_KINDS = ['task_revoked', 'lock_revoked', 'stopped', 'reset', 'project_status'] as const
const NOTICE_REASONS = ['expired', 'holder_gone', 'forced', 'reassigned', 'reset', 'status_changed'] as const

const str = v.string()
const opt = <T extends v.GenericSchema>(schema: T) => v.optional(schema)
const strings = v.array(str)
const record = v.record(str, v.unknown())

export const TaskRecord = v.object({
  id: str,
  title: str,
  description: opt(str),
  status: v.picklist(TASK_STATUSES),
  complexity: v.picklist(COMPLEXITIES),
  isolation: v.picklist(ISOLATIONS),
  priority: v.picklist(PRIORITIES),
  owner: opt(str),
  tags: strings,
  metadata: record,
  dependsOn: strings,
  files: strings,
  reviewNotes: opt(str),
  reviewFeedback: opt(str),
  reviewRequestedAt: opt(str),
  reviewRounds: v.number(),
  approvedBy: opt(str),
  completedAt: opt(str),
  claimedAt: opt(str),
  leaseExpiresAt: opt(str),
  leaseSessionId: opt(str),
  createdBy: str,
  createdAt: str,
  updatedAt: str,
  version: v.number(),
})
export type Task = v.InferOutput<typeof TaskRecord>

const LockRecord = v.object({
  id: str,
  path: str,
  owner: opt(str),
  note: opt(str),
  taskId: opt(str),
  status: v.picklist(['active', 'resolved']),
  createdAt: str,
  updatedAt: str,
  expiresAt: str,
  releasedAt: opt(str),
  releasedBy: opt(str),
  releaseReason: opt(v.picklist(RELEASE_REASONS)),
  sessionId: opt(str),
})
export type Lock = v.InferOutput<typeof LockRecord>

const NoteRecord = v.object({ id: str, seq: v.number(), text: str, author: str, createdAt: str })
export type Note = v.InferOutput<typeof NoteRecord>

const NoticeRecord = v.object({
  kind: v.picklist(NOTICE_KINDS),
  id: opt(str),
  path: opt(str),
  title: opt(str),
  reason: v.picklist(NOTICE_REASONS),
  by: str,
  at: str,
  message: str,
})
export type Notice = v.InferOutput<typeof NoticeRecord>

const AgentRecord = v.object({
  id: str,
  name: str,
  role: v.picklist(ROLES),
  type: v.picklist(AGENT_TYPES),
  status: v.picklist(['active', 'stopped']),
  stoppedReason: opt(str),
  isolation: v.picklist(ISOLATIONS),
  worktreePath: opt(str),
  branchName: opt(str),
  baseBranch: opt(str),
  launcher: opt(v.picklist(LAUNCHERS)),
  tmux: opt(v.object({ session: str, windowId: str, paneId: str, socket: opt(str) })),
  pid: opt(v.number()),
  host: opt(str),
  launchedBy: opt(str),
  sessionId: opt(str),
  goneSince: opt(str),
  projectRoot: str,
  createdAt: str,
  updatedAt: str,
  pendingNotices: v.array(NoticeRecord),
})
export type Agent = v.InferOutput<typeof AgentRecord>

const SessionRecord = v.object({
  id: str,
  transport: v.picklist(['stdio', 'http']),
  pid: opt(v.number()),
  host: str,
  client: opt(v.object({ name: str, version: str })),
  projectId: str,
  agentId: opt(str),
  startedAt: str,
  lastSeenAt: str,
  leasesRenewedAt: str,
  goneAt: opt(str),
  endedAt: opt(str),
  /** An HTTP session's server process (its client is elsewhere): the session ends with that process. */
  server: opt(v.object({ pid: v.number(), host: str })),
  /** The server's ancestors from its client on (lib/core/ancestors.ts): a guard finds the editing agent through that client. */
  ancestors: opt(v.array(v.number())),
})
export type Session = v.InferOutput<typeof SessionRecord>

export const ContextRecord = v.object({
  name: str,
  description: str,
  endState: str,
  techStack: strings,
  constraints: strings,
  acceptanceCriteria: strings,
  tests: strings,
  implementationPlan: strings,
  preferredImplementer: opt(v.picklist(['claude', 'codex'])),
  createdAt: str,
  updatedAt: str,
})
export type StoredContext = v.InferOutput<typeof ContextRecord>

const DiscussionRecord = v.object({
  id: str,
  topic: str,
  category: v.picklist(DISCUSSION_CATEGORIES),
  priority: v.picklist(DISCUSSION_PRIORITIES),
  status: v.picklist(DISCUSSION_STATUSES),
  createdBy: str,
  waitingOn: opt(str),
  decision: opt(str),
  decisionReasoning: opt(str),
  decidedBy: opt(str),
  linkedTaskId: opt(str),
  messageCount: v.number(),
  createdAt: str,
  updatedAt: str,
  resolvedAt: opt(str),
  archivedAt: opt(str),
})
export type Discussion = v.InferOutput<typeof DiscussionRecord>

const MessageRecord = v.object({
  id: str,
  discussionId: str,
  author: str,
  message: str,
  recommendation: opt(str),
  createdAt: str,
})
export type Message = v.InferOutput<typeof MessageRecord>

const ArtifactRecord = v.object({
  name: str,
  bytes: v.number(),
  sha256: str,
  encoding: v.picklist(['utf8', 'base64']),
  author: str,
  version: v.number(),
  createdAt: str,
  updatedAt: str,
})
export type Artifact = v.InferOutput<typeof ArtifactRecord>

const ProjectBody = v.object({
  root: str,
  name: str,
  createdAt: str,
  context: v.nullable(ContextRecord),
  status: v.picklist(PROJECT_STATUSES),
  allDoneAnnounced: v.boolean(),
})
export type ProjectDoc = v.InferOutput<typeof ProjectBody>
export type ProjectStatus = (typeof PROJECT_STATUSES)[number]

/**
 * Schema 1 kept resolved locks among the active ones; schema 2 keeps them apart. They stay where they are until the
 * next commit that touches locks moves them (project-tx.ts): journal lines written before the upgrade may still delete
 * them from `locks`.
 */
function addLockHistory(doc: Record<string, unknown>): Record<string, unknown> {
  return { ...doc, history: [] }
}

function def<S extends v.GenericSchema<unknown, object>>(
  kind: string,
  schema: S,
  empty: (project: ProjectRef) => v.InferOutput<S>,
  collections: Record<string, string> = {},
): DocumentDef<v.InferOutput<S>> {
  return { file: `${kind}.json`, kind, version: 1, schema, empty, collections }
}

/** The project's documents (docs/storage.md#layout-of-a-project-folder). */
export const DOCUMENTS = {
  project: def('project', ProjectBody, (project) => ({
    root: project.root,
    name: project.name,
    createdAt: new Date().toISOString(),
    context: null,
    status: 'planning' as const,
    allDoneAnnounced: false,
  })),
  agents: def('agents', v.object({ agents: v.array(AgentRecord), sessions: v.array(SessionRecord) }), () => ({ agents: [], sessions: [] }), {
    agents: 'id',
    sessions: 'id',
  }),
  tasks: def('tasks', v.object({ tasks: v.array(TaskRecord) }), () => ({ tasks: [] }), { tasks: 'id' }),
  // active locks in `locks`; resolved ones in `history`, which nothing on the path of a lock or a claim reads
  locks: {
    ...def('locks', v.object({ locks: v.array(LockRecord), history: v.array(LockRecord) }), () => ({ locks: [], history: [] }), { locks: 'id', history: 'id' }),
    version: 2,
    migrations: { 1: addLockHistory },
  },
  notes: def('notes', v.object({ nextSeq: v.number(), notes: v.array(NoteRecord), archiveFloor: v.optional(v.number()) }), () => ({ nextSeq: 1, notes: [] }), { notes: 'id' }),
  discussions: def('discussions', v.object({ discussions: v.array(DiscussionRecord), messages: v.array(MessageRecord) }), () => ({ discussions: [], messages: [] }), {
    discussions: 'id',
    messages: 'id',
  }),
  artifacts: def('artifacts', v.object({ artifacts: v.array(ArtifactRecord) }), () => ({ artifacts: [] }), { artifacts: 'name' }),
}

export type Documents = typeof DOCUMENTS
export type DocName = keyof Documents
