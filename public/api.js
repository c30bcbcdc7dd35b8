// The dashboard's JSON API and live updates. The token comes from the URL fragment (never sent to the server
// by the browser on its own) and stays in memory.

const token = new URLSearchParams(location.hash.slice(1)).get('token') || ''
const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(location.hostname) || location.hostname.startsWith('127.')

export const hasToken = Boolean(token)

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`)
    this.status = status
    this.code = body?.error?.code || 'INTERNAL'
    this.data = body?.error?.data || {}
  }
}

async function request(method, path, body) {
  const headers = { Accept: 'application/json' }
  if (token) headers.Authorization = `Bearer ${token}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' })
  const json = await response.json().catch(() => null)
  if (!response.ok) throw new ApiError(response.status, json)
  return json
}

export const getProjects = () => request('GET', '/api/projects')
export const getProject = (id) => request('GET', `/api/projects/${encodeURIComponent(id)}`)
export const getWorktrees = (id) => request('GET', `/api/projects/${encodeURIComponent(id)}/worktrees`)
export const getTimeline = (id, taskId) => request('GET', `/api/projects/${encodeURIComponent(id)}/tasks/${encodeURIComponent(taskId)}/timeline`)
export const act = (id, name, body) => request('POST', `/api/projects/${encodeURIComponent(id)}/actions/${name}`, body)

/**
 * Subscribe to store changes. EventSource reconnects by itself (the server asks for 1 s); `onOpen` runs on every
 * (re)connection, since changes made while disconnected were not sent.
 */
export function subscribe({ onChange, onOpen, onDown }) {
  const query = token && !loopback ? `?token=${encodeURIComponent(token)}` : ''
  const source = new EventSource(`/api/events${query}`)
  source.addEventListener('ready', () => onOpen())
  source.addEventListener('change', (event) => onChange(JSON.parse(event.data)))
  source.addEventListener('error', () => onDown())
  return source
}
