import { act, getProject, getProjects, getTimeline, getWorktrees, hasToken, subscribe } from './api.js'
import { $, h, label } from './dom.js'
import { COLUMNS, agentsList, artifactsList, contextBody, discussionsList, locksList, notesList, taskCard, timelineList, worktreesList } from './views.js'

const state = { projects: [], current: new URLSearchParams(location.search).get('project'), view: null, worktrees: null, openDiscussions: new Set(), historyOf: null, history: null }
const ui = { canAct: hasToken, onAction: (name, item) => (name === 'history' ? showHistory(item) : runAction(name, item)) }

// one refresh at a time; changes arriving meanwhile fold into one more
function coalesced(fn) {
  let running = null
  let again = false
  const run = () => {
    if (running) {
      again = true
      return running
    }
    running = fn()
      .catch(showError)
      .finally(() => {
        running = null
        if (again) ((again = false), run())
      })
    return running
  }
  return run
}

const refreshProjects = coalesced(async () => {
  const data = await getProjects().finally(() => ($('loading').hidden = true))
  state.projects = data.projects
  if (!state.projects.some((p) => p.id === state.current)) state.current = data.selected
  renderPicker(data.dataDir)
  if (!state.current) return
  await refreshView()
  if (state.worktrees === null) refreshWorktrees()
})
const refreshView = coalesced(async () => {
  if (!state.current) return
  try {
    state.view = await getProject(state.current)
  } catch (error) {
    // an unreadable document: the banner stays, over the last good view, until a refresh reads the project again
    if (error.code !== 'CORRUPT_STATE') throw error
    return showCorrupt(error)
  }
  $('error-banner').hidden = true
  render()
  if (state.historyOf) refreshHistory()
})
const refreshHistory = coalesced(async () => {
  if (!state.current || !state.historyOf) return
  state.history = (await getTimeline(state.current, state.historyOf)).events
  renderHistory()
})

function showHistory(task) {
  state.historyOf = task.id
  state.history = null
  renderHistory()
  refreshHistory()
  $('timeline').scrollIntoView({ block: 'nearest' })
}

function renderHistory() {
  const task = state.view?.tasks.find((t) => t.id === state.historyOf)
  $('timeline').replaceChildren(...timelineList(task, state.history))
}

function showCorrupt(error) {
  const { file, backup, repair } = error.data
  const banner = $('error-banner')
  banner.replaceChildren(
    ...[
      h('strong', {}, 'A store document cannot be read. '),
      error.message,
      file ? h('div', {}, 'File: ', h('code', { class: 'file' }, file)) : null,
      backup ? h('div', {}, 'A copy was kept at ', h('code', {}, backup)) : null,
      repair ? h('div', {}, 'To repair it: ', h('code', { class: 'repair' }, repair), ' (then this page recovers by itself; ', h('code', {}, 'lockstep-mcp status'), ' lists the problems)') : null,
    ].filter(Boolean),
  )
  banner.hidden = false
  $('project-view').hidden = !state.view
}
const refreshWorktrees = coalesced(async () => {
  if (!state.current) return
  state.worktrees = (await getWorktrees(state.current)).worktrees
  $('worktrees').replaceChildren(...worktreesList(state.worktrees))
})

function renderPicker(dataDir) {
  const select = $('project-select')
  select.replaceChildren(...state.projects.map((p) => h('option', { value: p.id, selected: p.id === state.current }, `${p.name}${p.rootMissing ? ' (root missing)' : ''}`)))
  select.hidden = state.projects.length < 2
  $('project-name').hidden = state.projects.length > 1
  $('no-projects').hidden = state.projects.length > 0
  $('no-projects').textContent = `No projects in ${dataDir} yet — configure an agent with lockstep-mcp (lockstep-mcp install) and call coordination_init in the repository.`
  $('project-view').hidden = !state.current
}

function render() {
  const { project, tasks, locks, agents, notes, discussions, artifacts } = state.view
  document.title = `${project.name} · lockstep`
  $('project-view').hidden = false
  $('project-name').textContent = project.name
  const pill = $('project-status')
  pill.hidden = false
  pill.textContent = label(project.status)
  pill.dataset.status = project.status
  $('status-form').hidden = !ui.canAct || !project.context
  $('status-select').value = project.status
  const counts = Object.fromEntries(COLUMNS.map(([status]) => [status, tasks.filter((t) => t.status === status).length]))
  $('counts').replaceChildren(...COLUMNS.map(([status, title]) => h('span', { class: `count ${status}`, title }, `${title} `, h('strong', {}, counts[status]))))
  $('context-body').replaceChildren(...contextBody(project))
  renderBoard(tasks)
  $('agents').replaceChildren(...agentsList(agents))
  $('locks').replaceChildren(...locksList(locks, ui, agents))
  $('notes').replaceChildren(...notesList(notes))
  $('discussions').replaceChildren(...discussionsList(discussions, state.openDiscussions))
  $('artifacts').replaceChildren(...artifactsList(artifacts))
  renderHistory()
}

function renderBoard(tasks) {
  const board = $('board')
  if (!board.children.length) {
    board.append(
      ...COLUMNS.map(([status, title]) =>
        h('section', { class: `column ${status}`, dataset: { status } }, h('header', {}, h('h3', {}, title), h('span', { class: 'n' })), h('div', { class: 'cards' })),
      ),
    )
  }
  $('board-empty').hidden = tasks.length > 0
  $('board-empty').textContent = 'No tasks yet — the planner creates them with task_create.'
  for (const column of board.children) {
    const status = column.dataset.status
    const mine = tasks.filter((t) => t.status === status)
    if (status === 'done') mine.reverse()
    column.querySelector('.n').textContent = mine.length
    column.querySelector('.cards').replaceChildren(...(mine.length ? mine.map((t) => taskCard(t, tasks, ui)) : [h('p', { class: 'empty small' }, '—')]))
  }
}

const ACTION_FORMS = {
  approve: (task) => ({
    title: `Approve ${task.id}?`,
    text: task.title,
    field: { label: 'Feedback (optional)', optional: true },
    body: (v) => ({ id: task.id, ...(v ? { feedback: v } : {}) }),
    quick: true,
  }),
  'request-changes': (task) => ({ title: `Request changes on ${task.id}`, text: task.title, field: { label: 'What should change?' }, body: (v) => ({ id: task.id, feedback: v }) }),
  reassign: (task) => ({ title: `Assign ${task.id}`, text: task.title, field: { label: 'Agent name', line: true, value: task.owner ?? '' }, body: (v) => ({ id: task.id, owner: v }) }),
  'return-to-todo': (task) => ({ title: `Return ${task.id} to todo?`, text: `${task.title} — its owner loses it and its task locks are released.`, body: () => ({ id: task.id }) }),
  'release-lock': (lock) => ({ title: 'Force-release this lock?', text: `${lock.path} (held by ${lock.owner ?? 'anonymous'}); the holder is told.`, body: () => ({ id: lock.id }) }),
  'set-status': (status) => ({ title: `Set the project status to ${label(status)}?`, text: status === 'stopped' ? 'Implementers are told to stop work.' : '', body: () => ({ status }) }),
}

async function runAction(name, item) {
  const form = ACTION_FORMS[name](item)
  const value = form.quick ? '' : await ask(form)
  if (value === null) return
  try {
    await act(state.current, name, form.body(value))
    toast(`${name.replace(/-/g, ' ')}: done`)
  } catch (error) {
    showError(error)
  }
  refreshView()
}

function ask(form) {
  const dialog = $('dialog')
  const input = form.field && (form.field.line ? h('input', { list: 'agent-names', required: true, value: form.field.value }) : h('textarea', { rows: 3, required: !form.field.optional }))
  const parts = [
    h('h3', {}, form.title),
    form.text ? h('p', {}, form.text) : null,
    input ? h('label', {}, form.field.label, input) : null,
    form.field?.line
      ? h(
          'datalist',
          { id: 'agent-names' },
          (state.view?.agents ?? []).map((a) => h('option', { value: a.name })),
        )
      : null,
    h('div', { class: 'dialog-buttons' }, h('button', { value: 'cancel', class: 'btn', formnovalidate: true }, 'Cancel'), h('button', { value: 'ok', class: 'btn primary' }, 'Confirm')),
  ]
  $('dialog-form').replaceChildren(...parts.filter(Boolean))
  dialog.showModal()
  input?.focus()
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok' ? (input?.value.trim() ?? '') : null), { once: true }))
}

let toastTimer
function toast(text, isError = false) {
  const el = $('toast')
  el.textContent = text
  el.className = isError ? 'toast error' : 'toast'
  el.hidden = false
  clearTimeout(toastTimer)
  toastTimer = setTimeout(() => (el.hidden = true), isError ? 8000 : 3000)
}

function showError(error) {
  toast(error.code ? `${error.code}: ${error.message}` : String(error.message ?? error), true)
}

function setLive(stateName, text) {
  const el = $('live')
  el.dataset.state = stateName
  el.textContent = text
}

$('readonly-banner').hidden = hasToken
$('project-select').addEventListener('change', (event) => {
  state.current = event.target.value
  state.worktrees = null
  const url = new URL(location.href)
  url.searchParams.set('project', state.current)
  history.replaceState(null, '', url)
  refreshView()
  refreshWorktrees()
})
$('status-form').addEventListener('submit', (event) => {
  event.preventDefault()
  runAction('set-status', $('status-select').value)
})

subscribe({
  onOpen: () => {
    setLive('live', 'live')
    refreshProjects()
    refreshWorktrees()
  },
  onDown: () => setLive('down', 'reconnecting… (the dashboard is not answering; changes appear again once it is back)'),
  onChange: (change) => {
    const known = state.projects.some((p) => p.id === change.project)
    if (!known || change.added || change.removed || change.changed.includes('project')) refreshProjects()
    if (change.project !== state.current) return
    refreshView()
    if (change.changed.includes('agents')) refreshWorktrees()
  },
})
refreshProjects()
