import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Polka, Request } from 'polka'
import type { ProjectRef } from '../../storage/documents.js'
import type { Ctx } from '../state/context.js'
import { LockstepError, isLockstepError, type ErrorCode } from '../errors.js'
import { releaseLock } from '../locks/locks.js'
import { setProjectStatusTool } from '../project/project-context.js'
import { approveTask, requestChanges } from '../tasks/reviews.js'
import { updateTask } from '../tasks/task-updates.js'
import type { Guard } from './request-guard.js'
import type { EventHub } from './_sse.js'
import { sweepProject } from '../agents/sessions.js'
import { taskTimeline, withRepair } from './_task-history.js'
import { projectSummaries, projectView, storedProject, storedProjects } from './_views.js'
import { worktreesView } from './_worktrees.js'

type Body = Record<string, unknown>
type Action = (ctx: Ctx, body: Body, projectRoot: string) => Promise<unknown>

/**
 * The dashboard's actions: the tools' lib functions, run as `human` (POST /api/projects/:id/actions/<name>). A Map, so
 * that a name such as `constructor` or `__proto__` finds nothing instead of a property of Object.prototype.
 */
const ACTIONS: ReadonlyMap<string, Action> = new Map(
  Object.entries({
    approve: (ctx, body, projectRoot) => approveTask(ctx, { id: body.id, feedback: body.feedback, projectRoot }),
    'request-changes': (ctx, body, projectRoot) => requestChanges(ctx, { id: body.id, feedback: body.feedback, projectRoot }),
    'release-lock': (ctx, body, projectRoot) => releaseLock(ctx, { id: body.id, path: body.path, force: true, projectRoot }),
    reassign: (ctx, body, projectRoot) => updateTask(ctx, { id: body.id, owner: body.owner, projectRoot }),
    'return-to-todo': (ctx, body, projectRoot) => updateTask(ctx, { id: body.id, status: 'todo', projectRoot }),
    'set-status': (ctx, body, projectRoot) => setProjectStatusTool(ctx, { status: body.status, force: body.force, openTasks: body.openTasks, projectRoot }),
  } satisfies Record<string, Action>),
)

export interface ApiDeps {
  dataDir: string
  version: string
  guard: Guard
  hub: EventHub
  /** Lock-free reads over a read-only store. */
  readCtx: Ctx
  /** A fresh `human` context over the writing store, for one action. */
  actionCtx(project: ProjectRef): Ctx
  initialProject?: string
  log(level: 'warn' | 'error' | 'info', message: string): void
}

const STATUS: Record<ErrorCode, number> = {
  INVALID_INPUT: 400,
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  CONFLICT: 409,
  LOCKED: 409,
  BUSY: 503,
  CORRUPT_STATE: 500,
  UNAVAILABLE: 503,
}
const MAX_BODY = 64 * 1024

export function mountApi(app: Polka, deps: ApiDeps): void {
  const { guard, readCtx } = deps
  const reads = (req: Request) => {
    if (guard.readsNeedToken && !guard.hasToken(req, req.query)) throw forbidden('This dashboard listens beyond loopback: reads need the token from the URL it printed.')
  }
  app.get('/api/health', (_req, res) => sendJson(res, 200, { ok: true, pid: process.pid, dataDir: deps.dataDir, version: deps.version }))
  app.get('/api/projects', async (req, res) => {
    reads(req)
    const projects = await projectSummaries(readCtx, await storedProjects(deps.dataDir))
    const selected = projects.some((item) => item.id === deps.initialProject) ? deps.initialProject : projects[0]?.id
    sendJson(res, 200, { dataDir: deps.dataDir, version: deps.version, selected: selected ?? null, projects })
  })
  app.get('/api/projects/:id', async (req, res) => {
    reads(req)
    const project = await storedProject(deps.dataDir, req.params.id)
    // an unreadable document: the page keeps a banner with the file and the command that repairs it
    const view = await projectView(readCtx, project).catch((error: unknown) => {
      throw withRepair(error, project)
    })
    sendJson(res, 200, view)
    // the dashboard reclaims too: a gone agent's claims and locks are freed without waiting for another agent's server
    // (the change reaches the page through the store watch)
    if (view.locks.some((lock) => 'reclaiming' in lock) || view.agents.some((agent) => agent.status === 'active' && agent.liveness === 'gone'))
      void sweepProject(deps.actionCtx(project), project.root).catch(() => undefined)
  })
  app.get('/api/projects/:id/tasks/:taskId/timeline', async (req, res) => {
    reads(req)
    const ref = await storedProject(deps.dataDir, req.params.id)
    sendJson(res, 200, { taskId: req.params.taskId, events: await taskTimeline(readCtx, ref, req.params.taskId) })
  })
  app.get('/api/projects/:id/worktrees', async (req, res) => {
    reads(req)
    sendJson(res, 200, { worktrees: await worktreesView(readCtx, await storedProject(deps.dataDir, req.params.id)) })
  })
  app.get('/api/events', (req, res) => {
    reads(req)
    deps.hub.attach(res)
  })
  app.post('/api/projects/:id/actions/:name', async (req, res) => {
    if (!guard.originAllowed(req)) throw forbidden('Actions are accepted only from the dashboard page itself (Origin check).')
    if (!guard.hasToken(req)) throw forbidden('Actions need the token from the URL that lockstep-mcp dashboard printed.')
    const action = ACTIONS.get(req.params.name ?? '')
    if (!action) throw new LockstepError('NOT_FOUND', `No action ${req.params.name}; use one of ${[...ACTIONS.keys()].join(', ')}.`, { action: req.params.name })
    const body = await readJson(req)
    const project = await storedProject(deps.dataDir, req.params.id)
    const result = await action(deps.actionCtx(project), body, project.root)
    deps.log('info', `action ${req.params.name} on ${project.id} by human`)
    sendJson(res, 200, { ok: true, result })
  })
}

/** The one error mapping of the dashboard: LockstepError code → HTTP status; anything else is a 500 without detail. */
export function sendError(res: ServerResponse, error: unknown, log: ApiDeps['log']): void {
  if (res.headersSent) return void res.end()
  if (isLockstepError(error)) return sendJson(res, Object.hasOwn(STATUS, error.code) ? STATUS[error.code] : 500, { error: error.toJSON() })
  log('error', `internal error: ${(error as Error)?.stack ?? String(error)}`)
  sendJson(res, 500, { error: { code: 'INTERNAL', message: 'An internal error occurred; it was logged in dashboard.log.', data: {} } })
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}

export function forbidden(message: string): LockstepError {
  return new LockstepError('FORBIDDEN', message, {})
}

async function readJson(req: IncomingMessage): Promise<Body> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    throw new LockstepError('INVALID_INPUT', 'Send the action as JSON (Content-Type: application/json).', { property: 'content-type' })
  }
  let size = 0
  const chunks: Buffer[] = []
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new LockstepError('INVALID_INPUT', `The request body exceeds ${MAX_BODY} bytes; send less.`, { limit: MAX_BODY })
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  let body: unknown
  try {
    body = text ? JSON.parse(text) : {}
  } catch {
    throw new LockstepError('INVALID_INPUT', 'The request body is not valid JSON.', {})
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new LockstepError('INVALID_INPUT', 'The request body must be a JSON object.', {})
  return body as Body
}
