import type { DomainTx, Docs } from './domain-tx.js'
import { HOST } from '../../storage/host.js'
import type { Agent, DocName, Lock, Note, Session, Task } from './schema.js'
import { sameName } from '../core/names.js'

type Reason = 'expired' | 'holder_gone'
const LEASE_DOCS: DocName[] = ['agents', 'tasks', 'locks', 'notes']

function ttlMs(tx: DomainTx<DocName>): number {
  return tx.ctx.settings.leaseTtlSec * 1000
}

export function hasLease(task: Task): boolean {
  return Boolean(task.owner) && (task.status === 'in_progress' || task.status === 'blocked')
}

/** Whether the time `at` has come by `nowIso`: times written by toISOString compare as strings, with no parse. */
function isDue(at: string, nowIso: string): boolean {
  return at.length === nowIso.length && at.endsWith('Z') ? at <= nowIso : Date.parse(at) <= Date.parse(nowIso)
}

// Expiries are looked for before every mutation, and a scan of every task and lock each time was most of a small
// commit's cost. A scan notes when the next lease can fall due: any lease granted or renewed after it runs at least the
// shortest TTL the settings allow, so until then a scan cannot find anything due, and is skipped.
const MIN_LEASE_TTL_MS = 60_000
const scans = new WeakMap<object, { at: string; until: string }>()

function dueIn<T>(body: object, records: T[], now: string, expiry: (record: T) => string | undefined): T[] {
  const last = scans.get(body)
  if (last && last.at <= now && now < last.until && now.length === last.until.length) return []
  let until = new Date(Date.parse(now) + MIN_LEASE_TTL_MS).toISOString()
  const due: T[] = []
  for (const record of records) {
    const at = expiry(record)
    if (at === undefined) continue
    if (isDue(at, now)) due.push(record)
    else if (at < until || at.length !== until.length) until = at.length === until.length ? at : now
  }
  // a scan that found something due is not remembered: the transaction may still fail and undo what it did about it
  if (due.length) scans.delete(body)
  else scans.set(body, { at: now, until })
  return due
}

/** A lock is exempt from expiry while its task waits in review. */
function lockExpires(lock: Lock, tasks: Task[] | undefined): boolean {
  if (!lock.taskId || !tasks) return true
  return tasks.find((task) => task.id === lock.taskId)?.status !== 'review'
}

/**
 * Apply due expiries to the loaded documents, inside the transaction before the mutation: expired leases, and the claims of agents whose
 * session has been gone longer than the grace period. Asks for the lease documents when something is due.
 */
export function applyExpiries(docs: Partial<Docs>, tx: DomainTx<DocName>): void {
  const now = tx.now.toISOString()
  let dueTasks = docs.tasks ? dueIn(docs.tasks, docs.tasks.tasks, now, (task) => (hasLease(task) ? task.leaseExpiresAt : undefined)) : []
  let dueLocks = docs.locks ? dueIn(docs.locks, docs.locks.locks, now, (lock) => (lock.status === 'active' ? lock.expiresAt : undefined)) : []
  const exempt = dueLocks.filter((lock) => !lockExpires(lock, docs.tasks?.tasks))
  if (exempt.length) {
    // a lock kept past its time by a review stays due: scan again next time
    scans.delete(docs.locks!)
    dueLocks = dueLocks.filter((lock) => !exempt.includes(lock))
  }
  const goneAgents = docs.agents ? agentsPastGrace(docs as Docs, tx) : []
  if (!dueTasks.length && !dueLocks.length && !goneAgents.length) return
  tx.require(...LEASE_DOCS)
  const full = docs as Docs
  // a live session keeps its leases however long it is quiet: they are renewed here instead (one write per TTL)
  const live = liveNames(full, tx.ctx.isAlive, tx.now, ttlMs(tx))
  const keep = [...new Set([...dueTasks.map((task) => task.owner!), ...dueLocks.map((lock) => lock.owner ?? '')].filter((name) => live.has(name.toLowerCase())))]
  for (const name of keep) renewLeases(full, name, tx.now, ttlMs(tx))
  dueTasks = dueTasks.filter((task) => !live.has(task.owner!.toLowerCase()))
  dueLocks = dueLocks.filter((lock) => !lock.owner || !live.has(lock.owner.toLowerCase()))
  for (const task of dueTasks) revokeTask(full, tx, task, 'expired')
  for (const lock of dueLocks) if (lock.status === 'active') revokeLock(full, tx, lock, 'expired')
  for (const agent of goneAgents) {
    for (const task of full.tasks.tasks.filter((item) => sameName(item.owner, agent.name) && hasLease(item))) revokeTask(full, tx, task, 'holder_gone')
    for (const lock of full.locks.locks.filter((item) => sameName(item.owner, agent.name) && item.status === 'active' && lockExpires(item, full.tasks.tasks))) {
      revokeLock(full, tx, lock, 'holder_gone')
    }
    Object.assign(agent, { status: 'stopped', stoppedReason: 'holder_gone', updatedAt: tx.now.toISOString() })
    tx.emit({ type: 'agent.stopped', actor: 'system', ids: { agent: agent.name }, for: [agent.name], data: { reason: 'holder_gone' } })
  }
}

/**
 * Whether a session is alive enough to keep its agent's leases: an HTTP session until it is closed, a stdio server of
 * this host while its process runs, one of another host (which cannot be probed) while it was seen within the TTL.
 */
function sessionKeepsLeases(isAlive: (pid: number, host: string) => boolean, session: Session, now: Date, ttl: number): boolean {
  if (session.endedAt || session.goneAt || serverDied(isAlive, session)) return false
  if (session.transport === 'http' || session.pid === undefined) return true
  if (session.host !== HOST) return Date.parse(session.lastSeenAt) + ttl > now.getTime()
  return isAlive(session.pid, session.host)
}

/** An HTTP session whose server process has died was never closed, but is gone. */
function serverDied(isAlive: (pid: number, host: string) => boolean, session: Session): boolean {
  return session.transport === 'http' && session.server !== undefined && !isAlive(session.server.pid, session.server.host)
}

/** Lower-cased names of the active agents whose bound session keeps their leases. */
export function liveNames(docs: Pick<Docs, 'agents'>, isAlive: (pid: number, host: string) => boolean, now: Date, ttl: number): Set<string> {
  const out = new Set<string>()
  for (const agent of docs.agents.agents) {
    if (agent.status !== 'active' || !agent.sessionId) continue
    const session = docs.agents.sessions.find((item) => item.id === agent.sessionId)
    if (session && sessionKeepsLeases(isAlive, session, now, ttl)) out.add(agent.name.toLowerCase())
  }
  return out
}

/** Record new evidence of gone agents, and return the active agents gone for longer than the grace period. */
function agentsPastGrace(docs: Docs, tx: DomainTx<DocName>): Agent[] {
  const now = tx.now.getTime()
  const graceMs = tx.ctx.settings.graceSec * 1000
  const out: Agent[] = []
  for (const agent of docs.agents.agents) {
    const since = goneEvidence(tx.ctx.isAlive, agent, docs.agents.sessions, tx.now.toISOString(), true)
    if (since && Date.parse(since) + graceMs <= now) out.push(agent)
  }
  return out
}

/**
 * When an active agent was first seen gone (its claims go after the grace), or null while it may be alive. Evidence is its bound session
 * ending or its process dying; before it ever connected, its launched process dying, or the dead tmux pane that the
 * sweep records as `goneSince`. With `record`, new evidence is written to the records; without, it is only reported.
 */
export function goneEvidence(isAlive: (pid: number, host: string) => boolean, agent: Agent, sessions: Session[], now: string, record: boolean): string | null {
  if (agent.status !== 'active') return null
  const session = agent.sessionId ? sessions.find((item) => item.id === agent.sessionId) : undefined
  let sessionGoneAt = session?.goneAt
  if (session && !sessionGoneAt) {
    const gone = Boolean(session.endedAt) || (session.transport === 'stdio' && session.pid !== undefined && !isAlive(session.pid, session.host)) || serverDied(isAlive, session)
    if (!gone) return null
    sessionGoneAt = now
    if (record) session.goneAt = now
  }
  if (!session && agent.launcher && !agent.goneSince && agent.pid !== undefined && agent.host && !isAlive(agent.pid, agent.host)) {
    if (!record) return now
    agent.goneSince = now
  }
  return (session ? sessionGoneAt : agent.goneSince) ?? null
}

/** Take a lease away: the task returns to todo (a blocked one stays blocked), its task locks go, the holder is told. */
function revokeTask(docs: Docs, tx: DomainTx<DocName>, task: Task, reason: Reason | 'reset'): void {
  const owner = task.owner!
  const wasBlocked = task.status === 'blocked'
  clearOwnership(task, wasBlocked ? 'blocked' : 'todo', tx)
  const released = releaseTaskLocks(docs, task.id, reason === 'reset' ? 'reset' : reason, 'system', tx)
  const why = reason === 'expired' ? 'its lease expired' : reason === 'holder_gone' ? `${owner} is gone` : 'of a reset'
  tx.note(`[SYSTEM] Task "${task.title}" (${task.id}) ${takenFrom(owner)} because ${why}; it is ${task.status} again${released ? ` and ${released} lock(s) were released` : ''}.`)
  tx.emit({ type: 'task.revoked', actor: 'system', ids: { taskId: task.id }, for: [owner], data: { reason } })
  tx.notify(owner, {
    kind: 'task_revoked',
    id: task.id,
    title: task.title,
    reason,
    by: 'system',
    message: `Task ${task.id} "${task.title}" is no longer yours because ${why}. Claim it again with task_claim if you still work on it.`,
  })
}

const takenFrom = (owner: string) => `was taken from ${owner}`

/** Whether the server's notes record that `owner` lost `taskId` to a revocation (the task may have no locks to show it). */
export function wasRevokedFrom(notes: Note[], taskId: string, owner: string): boolean {
  const text = `(${taskId}) ${takenFrom(owner).toLowerCase()} `
  return notes.some((note) => note.author === 'system' && note.text.toLowerCase().includes(text))
}

function revokeLock(docs: Docs, tx: DomainTx<DocName>, lock: Lock, reason: Reason): void {
  const holder = lock.owner
  resolveLock(lock, reason, 'system', tx.now)
  tx.note(`[SYSTEM] Lock on ${lock.path}${holder ? ` held by ${holder}` : ''} was released because ${reason === 'expired' ? 'it expired' : 'its holder is gone'}.`)
  tx.emit({ type: 'lock.revoked', actor: 'system', ids: { lockId: lock.id, path: lock.path }, for: holder ? [holder] : [], data: { owner: holder, reason } })
  if (holder) {
    tx.notify(holder, {
      kind: 'lock_revoked',
      id: lock.id,
      path: lock.path,
      reason,
      by: 'system',
      message: `Your lock on ${lock.path} was released (${reason}); acquire it again with lock_acquire before editing.`,
    })
  }
}

export function resolveLock(lock: Lock, reason: NonNullable<Lock['releaseReason']>, by: string, now: Date): void {
  const at = now.toISOString()
  Object.assign(lock, { status: 'resolved', releasedAt: at, releasedBy: by, releaseReason: reason, updatedAt: at })
}

/** Release the active locks bound to a task; returns how many. */
export function releaseTaskLocks(docs: Pick<Docs, 'locks'>, taskId: string, reason: NonNullable<Lock['releaseReason']>, by: string, tx: DomainTx<DocName>): number {
  let count = 0
  for (const lock of docs.locks.locks) {
    if (lock.taskId !== taskId || lock.status !== 'active') continue
    resolveLock(lock, reason, by, tx.now)
    tx.emit({ type: 'lock.released', actor: by, ids: { lockId: lock.id, path: lock.path }, data: { owner: lock.owner, reason } })
    count++
  }
  return count
}

export function clearOwnership(task: Task, status: Task['status'], tx: DomainTx<DocName>): void {
  task.status = status
  delete task.owner
  delete task.leaseExpiresAt
  delete task.leaseSessionId
  delete task.claimedAt
  task.version++
  task.updatedAt = tx.now.toISOString()
}

/** Renew every lease an agent holds: its claims and its active locks. */
export function renewLeases(docs: Pick<Docs, 'tasks' | 'locks'>, name: string, now: Date, ttl: number): void {
  const until = new Date(now.getTime() + ttl).toISOString()
  for (const task of docs.tasks.tasks) if (sameName(task.owner, name) && hasLease(task)) task.leaseExpiresAt = until
  for (const lock of docs.locks.locks) {
    if (sameName(lock.owner, name) && lock.status === 'active') Object.assign(lock, { expiresAt: until })
  }
}
