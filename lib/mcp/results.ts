// What an agent reads back from a mutation. Agents pay for every byte and act on every word, so a mutation answers
// with the id, the new status and what changed, plus its guidance; the full record is one read away (task_list
// {verbose: true}, discussion_get, lock_list). The CLI and the dashboard call lib directly and keep full records.

type Rec = Record<string, any>
export type ResultView = (value: Rec) => unknown

/** Guidance and reports a result carries through any view. */
const GUIDANCE = ['alreadyClaimed', 'renewed', '_instruction', '_hint', 'warnings', '_notices'] as const

function pick(value: Rec, keys: readonly string[]): Rec {
  const out: Rec = {}
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key]
  return out
}

const paths = (locks: Rec[] | undefined) => (locks ?? []).map((lock) => lock.path)

/** A task after a change: id, status, version, owner, what changed, and the guidance. */
export const taskChange: ResultView = (task) => ({
  ...pick(task, ['id', 'status', 'version', 'owner', 'changes']),
  ...(task.locks ? { locks: paths(task.locks) } : {}),
  ...pick(task, GUIDANCE),
})

/** A claimed task: what the claimer needs to start (title, description, complexity, files), not its history. */
function claimedTask(task: Rec): Rec {
  const out = pick(task, ['id', 'title', 'description', 'status', 'complexity', 'priority', 'files', 'dependsOn', 'tags', 'reviewFeedback', 'version'])
  for (const key of ['dependsOn', 'tags']) if (!out[key]?.length) delete out[key]
  return out
}

export const taskClaim: ResultView = (value) => ({ ...claimedTask(value), locks: paths(value.locks), ...pick(value, GUIDANCE) })

export const taskClaimNext: ResultView = (value) => (value.claimed ? { claimed: true, task: claimedTask(value.task), locks: paths(value.locks), ...pick(value, GUIDANCE) } : value)

export const taskSubmitted: ResultView = (task) => ({ ...pick(task, ['id', 'status', 'version', 'reviewRounds']), ...pick(task, GUIDANCE) })

export const lockChange: ResultView = (lock) => ({ ...pick(lock, ['id', 'path', 'status', 'expiresAt', 'taskId']), ...pick(lock, GUIDANCE) })

export const noteAdded: ResultView = (note) => ({ ...pick(note, ['id', 'seq']), ...pick(note, GUIDANCE) })

export const discussionChange: ResultView = (value) => ({
  id: value.discussion.id,
  status: value.discussion.status,
  ...pick(value.discussion, ['waitingOn', 'messageCount']),
  ...(value.message?.id ? { messageId: value.message.id } : {}),
  ...(typeof value.message === 'string' ? { message: value.message } : {}),
  ...pick(value, ['instruction', ...GUIDANCE]),
})

/** A launch: who was started, how, and where to watch it; implementer_list has the whole record. */
export const launched: ResultView = (value) => ({ ...value, implementer: pick(value.implementer, ['id', 'name', 'type', 'status', 'liveness', 'launcher', 'tmux', 'worktreePath', 'branchName']) })
