import { existsSync, realpathSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path'
import type { ProjectRef } from '../../storage/documents.js'
import { findMainWorkingTree, gitTop } from '../../storage/git-top.js'
import { clientChain, sessionOfClient } from '../core/ancestors.js'
import { HOST, isAliveOnHost } from '../../storage/host.js'
import { isLockstepError } from '../errors.js'
import type { LockstepStore } from '../state/context.js'
import { goneEvidence, liveNames } from '../state/leases.js'
import { lockPathMatches, normaliseLockPath } from '../locks/lock-paths.js'
import type { Agent, Lock, Session } from '../state/schema.js'
import { resolveSettings, type Settings } from '../state/settings.js'
import { editedPaths, type GuardClient, type GuardVerdict, type Refusal } from './guard-input.js'
import { projectForGuard, readForGuard } from './_read.js'
import { sameName } from '../core/names.js'

export type { GuardClient }

export interface GuardHost {
  env: NodeJS.ProcessEnv
  cwd: string
  /** The hook's ancestors from its client on (lib/core/ancestors.ts); defaults to this process's. */
  ancestors?: number[]
  /** Opens the store, on the rare decision that must be recorded (the caller loads the store code only then). */
  openStore(dataDir: string): Promise<LockstepStore>
}

interface Checked {
  project: ProjectRef
  rel: string
  abs: string
  locks: Lock[]
  agents: Agent[]
  sessions: Session[]
}

/**
 * Decide whether an edit (a client's hook payload) or a commit (`paths` staged) may go ahead: refused where another
 * agent holds an active lock covering a path. Never throws for a store problem: it passes and says why.
 */
export async function checkGuard(client: GuardClient, payload: unknown, host: GuardHost, paths?: string[]): Promise<GuardVerdict> {
  const verdict: GuardVerdict = { client, editor: null, refused: [] }
  let settings: Settings
  try {
    settings = resolveSettings({}, host.env, host.cwd, '0').settings
  } catch (error) {
    return { ...verdict, passReason: `lockstep settings are invalid (${(error as Error).message})` }
  }
  const base = typeof (payload as { cwd?: unknown })?.cwd === 'string' ? (payload as { cwd: string }).cwd : host.cwd
  const targets = (paths ?? editedPaths(client, payload)).map((path) => resolve(base, path))
  if (!targets.length) return verdict
  const chain = host.ancestors ?? clientChain(process.pid, { git: client === 'git' })
  const outcome: Outcome = { gone: new Map(), active: new Map() }
  for (const target of targets) {
    let checked: Checked | null
    try {
      checked = await load(settings.dataDir, target)
    } catch (error) {
      if (!isLockstepError(error)) throw error
      return { ...verdict, refused: [], passReason: `the lockstep store could not be read (${error.code}: ${error.message})` }
    }
    if (!checked) continue
    const editor = identify(checked, chain, host.env)
    verdict.editor ??= editor
    const refusal = decide(checked, editor, settings, outcome)
    if (refusal) verdict.refused.push(refusal)
  }
  if (verdict.refused.length || outcome.gone.size || outcome.active.size) {
    // rare paths: only now load the transaction layer (the common allowed edit stays read-only and quick)
    const { recordGuardOutcome } = await import('./_record.js')
    const record = async () => {
      const store = await host.openStore(settings.dataDir)
      try {
        await recordGuardOutcome(store, settings, host.cwd, verdict, [...outcome.gone.values()], [...outcome.active.values()])
      } finally {
        store.close()
      }
    }
    await record().catch(() => undefined)
  }
  return verdict
}

interface Outcome {
  /** Projects where a lock's holder is gone: the evidence is recorded, and past the grace period its locks reclaimed. */
  gone: Map<string, ProjectRef>
  /** Projects where the editor's leases run out within half the TTL: a guarded edit is activity, so they are renewed. */
  active: Map<string, { project: ProjectRef; name: string }>
}

/** The refusal for one checked path, if another agent's active lock covers it. */
function decide(checked: Checked, editor: string | null, settings: Settings, outcome: Outcome): Refusal | null {
  const now = new Date()
  const ttl = settings.leaseTtlSec * 1000
  const live = liveNames({ agents: { agents: checked.agents, sessions: checked.sessions } }, isAliveOnHost, now, ttl)
  const mine = (lock: Lock) => editor !== null && sameName(lock.owner, editor)
  if (editor && checked.locks.some((lock) => lock.status === 'active' && mine(lock) && Date.parse(lock.expiresAt) - now.getTime() < ttl / 2)) {
    outcome.active.set(checked.project.id, { project: checked.project, name: editor })
  }
  for (const lock of checked.locks) {
    if (lock.status !== 'active' || mine(lock) || !lockPathMatches(lock.path, checked.rel)) continue
    const holder = lock.owner ?? 'anonymous'
    if (Date.parse(lock.expiresAt) <= now.getTime() && !live.has(holder.toLowerCase())) continue
    const gone = lock.owner ? holderGone(checked, lock.owner, now, settings) : 'alive'
    // the transaction records new evidence of a gone holder and, once its grace period is over, reclaims
    if (gone !== 'alive') outcome.gone.set(checked.project.id, checked.project)
    if (gone === 'past_grace') continue
    const message = refusalText(checked.rel, lock, holder, live.has(holder.toLowerCase()))
    return { projectRoot: checked.project.root, path: checked.rel, holder, lockPath: lock.path, expiresAt: lock.expiresAt, message }
  }
  return null
}

async function load(dataDir: string, target: string): Promise<Checked | null> {
  const real = realOf(target)
  const folder = existingFolder(dirname(real))
  if (!folder) return null
  const project = storedProject(dataDir, folder)
  if (!project) return null
  const workRoot = workRootOf(folder, project.root)
  let rel: string
  try {
    rel = normaliseLockPath(real, workRoot, { isDirectory: () => false })
  } catch {
    return null // outside the project
  }
  const [locks, agents] = await Promise.all([readForGuard(project, 'locks'), readForGuard(project, 'agents')])
  return { project, rel, abs: real, locks: locks.locks, agents: agents.agents, sessions: agents.sessions }
}

/**
 * The project lockstep keeps for `folder`: inside git that is the repository's, wherever the folder is; outside git a
 * project is its folder, so the nearest folder above with a store is the one. Null when lockstep never saw it (no
 * store folder is created for it).
 */
function storedProject(dataDir: string, folder: string): ProjectRef | null {
  for (let current = folder; ; current = dirname(current)) {
    try {
      const project = projectForGuard(dataDir, current)
      if (existsSync(project.dir)) return project
      if (findMainWorkingTree(current)) return null
    } catch {
      return null
    }
    if (dirname(current) === current) return null
  }
}

/** Who is editing: our launchers' LOCKSTEP_AGENT_NAME, the session sharing the client process, or the worktree's owner. */
function identify(checked: Checked, chain: number[], env: NodeJS.ProcessEnv): string | null {
  const byName = (name: string | undefined) => checked.agents.find((agent) => name && sameName(agent.name, name))
  const named = byName(env.LOCKSTEP_AGENT_NAME)
  if (named) return named.name
  const bound = checked.sessions.filter((session) => session.host === HOST && session.agentId && !session.endedAt && !session.goneAt)
  const session = sessionOfClient(chain, bound)
  const agent = session && checked.agents.find((item) => item.id === session.agentId && item.sessionId === session.id)
  if (agent) return agent.name
  const owner = checked.agents.find((item) => item.status === 'active' && item.worktreePath && isInside(checked.abs, realOf(item.worktreePath)))
  return owner?.name ?? null
}

function holderGone(checked: Checked, owner: string, now: Date, settings: Settings): 'alive' | 'in_grace' | 'past_grace' {
  const agent = checked.agents.find((item) => sameName(item.name, owner))
  if (!agent) return 'alive'
  // copies: the guard only looks; the transaction records
  const since = goneEvidence(
    isAliveOnHost,
    { ...agent },
    checked.sessions.map((session) => ({ ...session })),
    now.toISOString(),
    false,
  )
  if (since === null) return 'alive'
  return Date.parse(since) + settings.graceSec * 1000 <= now.getTime() ? 'past_grace' : 'in_grace'
}

function refusalText(rel: string, lock: Lock, holder: string, live: boolean): string {
  const until = live ? `until ${lock.expiresAt}, renewed while ${holder} is running` : `until ${lock.expiresAt}`
  const covered = lock.path === rel ? '' : ` (lock ${lock.path})`
  return `LOCKED: ${rel} is locked by ${holder}${covered} ${until}; this edit was refused and nothing changed. Next: wait for it with lock_acquire {"path": "${rel}", "waitMs": 60000}, ask ${holder} to release it (discussion_start), or work on another file.`
}

function realOf(path: string): string {
  // the file may not exist yet: resolve the deepest folder that does, as lock paths are resolved
  const rest: string[] = []
  let current = path
  for (;;) {
    try {
      return join(realpathSync.native(current), ...rest.reverse())
    } catch {
      const parent = dirname(current)
      if (parent === current) return path
      rest.push(basename(current))
      current = parent
    }
  }
}

function existingFolder(dir: string): string | null {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(current)) return current
    if (dirname(current) === current) return null
  }
}

/** The checkout the path lies in (a linked worktree of the project, or its main tree): lock paths are relative to it. */
function workRootOf(folder: string, projectRoot: string): string {
  const top = gitTop(folder)
  return top && findMainWorkingTree(top) === projectRoot ? top : projectRoot
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}
