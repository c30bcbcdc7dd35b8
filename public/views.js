import { bytes, clock, empty, h, label, relative, time } from './dom.js'

export const COLUMNS = [
  ['todo', 'To do'],
  ['in_progress', 'In progress'],
  ['blocked', 'Blocked'],
  ['review', 'Review'],
  ['done', 'Done'],
]

const button = (text, action, onClick, primary = false) => h('button', { type: 'button', class: primary ? 'btn small primary' : 'btn small', dataset: { action }, onclick: onClick }, text)

export function contextBody(project) {
  const c = project.context
  if (!c) return [empty('No context yet — the planner sets the goal, acceptance criteria and plan with project_context_set.')]
  const list = (tag, items, none) =>
    items.length
      ? h(
          tag,
          {},
          items.map((item) => h('li', {}, item)),
        )
      : empty(none)
  const parts = [
    h(
      'div',
      { class: 'context-grid' },
      h(
        'div',
        {},
        h('h3', {}, 'Goal'),
        h('p', { class: 'prose' }, c.description),
        h('h3', {}, 'Done when'),
        h('p', { class: 'prose' }, c.endState),
        c.techStack.length ? h('p', { class: 'muted' }, 'Stack: ', c.techStack.join(', ')) : null,
        c.constraints.length ? h('details', {}, h('summary', {}, `Constraints (${c.constraints.length})`), list('ul', c.constraints, '')) : null,
      ),
      h('div', {}, h('h3', {}, 'Acceptance criteria'), list('ul', c.acceptanceCriteria, 'None yet — add them with project_context_set {acceptanceCriteria}.')),
      h('div', {}, h('h3', {}, 'Plan'), list('ol', c.implementationPlan, 'No plan yet — save one with project_context_set {implementationPlan}.')),
    ),
  ]
  if (project.rootMissing) parts.push(h('p', { class: 'warn' }, `Root missing: ${project.root} no longer exists; actions on this project fail until it is back.`))
  return parts
}

export function taskCard(task, all, { canAct, onAction }) {
  const titles = new Map(all.map((item) => [item.id, item]))
  const blocked = new Set(task.blockedBy ?? [])
  const deps = task.dependsOn.map((id) => h('code', { class: blocked.has(id) ? 'dep waiting' : 'dep met', title: titles.get(id)?.title ?? id }, blocked.has(id) ? id : `${id} ✓`))
  const actions = []
  if (canAct && task.status === 'review') {
    actions.push(
      button('Approve', 'approve', () => onAction('approve', task), true),
      button('Request changes', 'request-changes', () => onAction('request-changes', task)),
    )
  }
  if (canAct && (task.status === 'in_progress' || task.status === 'blocked')) {
    actions.push(
      button('Reassign', 'reassign', () => onAction('reassign', task)),
      button('Return to todo', 'return-to-todo', () => onAction('return-to-todo', task)),
    )
  }
  if (canAct && task.status === 'todo') actions.push(button(task.owner ? 'Reassign' : 'Assign', 'reassign', () => onAction('reassign', task)))
  actions.push(button('History', 'history', () => onAction('history', task)))
  return h(
    'article',
    { class: `card prio-${task.priority}`, dataset: { taskId: task.id } },
    h(
      'div',
      { class: 'card-top' },
      h('span', { class: `badge prio ${task.priority}` }, task.priority),
      h('span', { class: `badge cx ${task.complexity}` }, task.complexity),
      h('code', { class: 'id' }, task.id),
    ),
    h('h3', { class: 'card-title' }, task.title),
    h('div', { class: 'meta' }, task.owner ? ['owner ', h('strong', {}, task.owner)] : h('span', { class: 'muted' }, 'unassigned')),
    deps.length ? h('div', { class: 'meta' }, blocked.size ? 'waits for ' : 'after ', deps) : null,
    task.leaseExpiresAt ? h('div', { class: 'meta', title: task.leaseExpiresAt }, `lease until ${time(task.leaseExpiresAt)} (${relative(task.leaseExpiresAt)})`) : null,
    task.status === 'review' && task.reviewNotes ? h('blockquote', { class: 'review' }, h('span', { class: 'muted' }, `Round ${task.reviewRounds}: `), task.reviewNotes) : null,
    task.status !== 'review' && task.status !== 'done' && task.reviewFeedback
      ? h('blockquote', { class: 'feedback' }, h('span', { class: 'muted' }, 'Changes requested: '), task.reviewFeedback)
      : null,
    task.status === 'in_progress' && task.reviewNotes && task.reviewFeedback
      ? h('blockquote', { class: 'review previous' }, h('span', { class: 'muted' }, `Round ${task.reviewRounds} notes: `), task.reviewNotes)
      : null,
    task.status === 'done' && task.reviewRounds > 1 ? h('div', { class: 'meta muted' }, `${task.reviewRounds} review rounds`) : null,
    task.status === 'done' && task.approvedBy ? h('div', { class: 'meta muted' }, `approved by ${task.approvedBy}`) : null,
    task.tags.length
      ? h(
          'div',
          { class: 'tags' },
          task.tags.map((tag) => h('span', { class: 'tag' }, tag)),
        )
      : null,
    actions.length ? h('div', { class: 'actions' }, actions) : null,
  )
}

export function agentsList(agents) {
  if (!agents.length) return [empty('No agents yet — agents register with coordination_init; the planner starts implementers with launch_implementer.')]
  const order = (a) => (a.role === 'planner' ? 0 : 1)
  return agents
    .slice()
    .sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name))
    .map((agent) =>
      h(
        'div',
        { class: 'row agent', dataset: { agent: agent.name } },
        h('span', { class: `dot ${agent.liveness}`, title: agent.liveness }),
        h(
          'div',
          { class: 'grow' },
          h(
            'div',
            {},
            h('strong', {}, agent.name),
            ' ',
            h('span', { class: 'badge' }, agent.role),
            ' ',
            h('span', { class: 'muted' }, agent.type),
            agent.status === 'stopped' ? h('span', { class: 'badge danger' }, 'stopped') : null,
          ),
          agent.currentTasks.length
            ? agent.currentTasks.map((task) => h('div', { class: 'meta' }, h('code', {}, task.id), ` ${task.title} · ${label(task.status)}`))
            : h('div', { class: 'meta muted' }, agent.role === 'implementer' ? 'idle' : ''),
          agent.branchName ? h('div', { class: 'meta muted' }, `branch ${agent.branchName}`) : null,
        ),
        h('span', { class: `liveness ${agent.liveness}` }, agent.liveness),
      ),
    )
}

export function locksList(locks, { canAct, onAction }, agents = []) {
  if (!locks.length) return [empty('No active locks — agents take them with lock_acquire, or by claiming a task that lists files.')]
  // a gone holder's locks are revoked by the server once its grace period ends; say so rather than show them as held
  const gone = new Set(agents.filter((agent) => agent.liveness === 'gone').map((agent) => agent.name.toLowerCase()))
  return locks.map((lock) =>
    h(
      'div',
      { class: `row${gone.has(lock.owner?.toLowerCase()) ? ' reclaiming' : ''}`, dataset: { lockId: lock.id } },
      h(
        'div',
        { class: 'grow' },
        h('code', { class: 'path' }, lock.path),
        h(
          'div',
          { class: 'meta' },
          lock.owner ? [lock.reclaiming ? 'was held by ' : 'held by ', h('strong', {}, lock.owner)] : 'anonymous',
          lock.taskId ? [' for ', h('code', {}, lock.taskId)] : null,
          lock.reclaiming
            ? h('span', { class: 'reclaiming', title: 'The holder is gone: the lock is released once its grace period ends' }, ' · holder gone, being reclaimed')
            : h('span', { class: 'muted', title: lock.expiresAt }, ` · until ${time(lock.expiresAt)} (${relative(lock.expiresAt)})`),
        ),
        lock.note ? h('div', { class: 'meta muted' }, lock.note) : null,
      ),
      canAct ? button('Force release', 'release-lock', () => onAction('release-lock', lock)) : null,
    ),
  )
}

export function notesList(notes) {
  if (!notes.length) return [empty('No notes yet — agents post with note_append; approvals and releases are noted here too.')]
  return notes.map((note) =>
    h(
      'div',
      { class: `note${note.author === 'system' ? ' system' : ''}`, dataset: { seq: note.seq } },
      h('div', { class: 'meta' }, h('strong', {}, note.author), h('span', { class: 'muted', title: note.createdAt }, ` ${clock(note.createdAt)}`)),
      h('div', { class: 'prose' }, note.text),
    ),
  )
}

export function discussionsList(discussions, openIds) {
  if (!discussions.length) return [empty('No discussions — agents open one with discussion_start when a decision is needed.')]
  return discussions.map((d) =>
    h(
      'details',
      { class: `discussion ${d.status}`, open: openIds.has(d.id), dataset: { id: d.id }, ontoggle: (e) => (e.target.open ? openIds.add(d.id) : openIds.delete(d.id)) },
      h(
        'summary',
        {},
        h('span', { class: `badge dp ${d.priority}` }, d.priority),
        ' ',
        h('strong', {}, d.topic),
        h('span', { class: 'muted' }, ` · ${d.waitingOn && d.status === 'waiting' ? `waiting on ${d.waitingOn}` : d.status} · ${d.messageCount} message${d.messageCount === 1 ? '' : 's'}`),
      ),
      d.messages.map((m) =>
        h(
          'div',
          { class: 'message' },
          h('div', { class: 'meta' }, h('strong', {}, m.author), h('span', { class: 'muted' }, ` ${time(m.createdAt)}`)),
          h('div', { class: 'prose' }, m.message),
          m.recommendation ? h('div', { class: 'prose muted' }, `Recommends: ${m.recommendation}`) : null,
        ),
      ),
      d.decision ? h('div', { class: 'decision' }, h('strong', {}, 'Decision: '), d.decision, d.decidedBy ? h('span', { class: 'muted' }, ` — ${d.decidedBy}`) : null) : null,
    ),
  )
}

export function worktreesList(rows) {
  if (rows === null) return [empty('Reading worktrees…')]
  if (!rows.length) return [empty('No worktrees — implementers launched with isolation "worktree" get one each.')]
  return rows.map((row) =>
    h(
      'div',
      { class: 'row' },
      h(
        'div',
        { class: 'grow' },
        h('div', {}, h('strong', {}, row.agent ?? row.name), ' ', row.branch ? h('code', {}, row.branch) : null, row.exists ? null : h('span', { class: 'badge danger' }, 'missing')),
        h('div', { class: 'meta muted' }, row.path),
      ),
      row.ahead !== undefined
        ? h('span', { class: 'aheadbehind', title: `against ${row.baseBranch ?? 'HEAD'}` }, `↑${row.ahead} ↓${row.behind}`, row.uncommitted ? h('span', { class: 'badge warn' }, 'uncommitted') : null)
        : h('span', { class: 'muted' }, row.problem ? `status ${row.problem}` : ''),
    ),
  )
}

export function artifactsList(artifacts) {
  if (!artifacts.length) return [empty('No artifacts — agents share documents with artifact_write.')]
  return artifacts.map((a) =>
    h(
      'div',
      { class: 'row' },
      h('div', { class: 'grow' }, h('code', {}, a.name), h('div', { class: 'meta muted' }, `v${a.version} by ${a.author} · ${time(a.updatedAt)}`)),
      h('span', { class: 'muted' }, bytes(a.bytes)),
    ),
  )
}

const EVENT_WORDS = {
  'task.created': 'created',
  'task.claimed': 'claimed',
  'task.updated': 'updated',
  'task.submitted': 'submitted for review',
  'task.approved': 'approved',
  'task.changes_requested': 'requested changes',
  'task.revoked': 'lost the claim',
  'lock.acquired': 'locked',
  'lock.released': 'released a lock',
  'lock.revoked': 'lock revoked',
}

export function timelineList(task, events) {
  if (!task) return [empty('Choose History on a task card to see what happened to it, step by step.')]
  const head = h('p', {}, h('code', {}, task.id), ' ', h('strong', {}, task.title))
  if (events === null) return [head, empty('Reading the event log…')]
  if (!events.length) return [head, empty('No events for this task in the current event log.')]
  return [
    head,
    h(
      'ol',
      { class: 'timeline' },
      events.map((event) =>
        h(
          'li',
          { dataset: { type: event.type } },
          h('span', { class: 'muted', title: event.ts }, clock(event.ts)),
          ' ',
          h('strong', {}, event.actor),
          ' ',
          EVENT_WORDS[event.type] ?? event.type,
          event.data?.path ? [' ', h('code', {}, event.data.path)] : null,
          event.data?.to ? ` → ${label(event.data.to)}` : null,
        ),
      ),
    ),
  ]
}
