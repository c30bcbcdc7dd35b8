import { HOST } from '../../storage/host.js'
import type { Store } from '../../storage/store.js'
import type { Documents } from './schema.js'
import type { Settings } from './settings.js'

export type LockstepStore = Store<Documents>

/** The registration of a session: set by coordination_init, fixed for the session's life. */
export interface Binding {
  projectId: string
  projectRoot: string
  agentId: string
  name: string
  role: 'planner' | 'implementer'
}

/** One MCP session: a stdio server process, or one session of the HTTP server. */
export interface Caller {
  sessionId: string
  transport: 'stdio' | 'http'
  pid?: number
  host: string
  client?: { name: string; version: string }
  /** The folder the session runs in; the default project and work root. */
  cwd: string
  /** The environment of the agent's server process (a relay's, when the shared server serves it); commands run in it. */
  env?: Record<string, string | undefined>
  binding?: Binding
  /** Per project: when this session last renewed its leases (ms). */
  renewedAt: Map<string, number>
  /** The process serving an HTTP session: a session whose server died is gone. */
  server?: { pid: number; host: string }
  /** A stdio server's ancestors from its client on, read at coordination_init (lib/core/ancestors.ts). */
  ancestors?: number[]
  /** Adapters outside MCP (dashboard, CLI) act as `human`. */
  fixedActor?: 'human' | 'system'
}

export interface Ctx {
  store: LockstepStore
  settings: Settings
  caller: Caller
  now(): Date
  signal?: AbortSignal
  /** Whether a process is still running; other hosts cannot be checked and count as alive. */
  isAlive: (pid: number, host: string) => boolean
}

export function newCaller(fields: Partial<Caller> & Pick<Caller, 'sessionId' | 'cwd'>): Caller {
  return { transport: 'stdio', host: HOST, renewedAt: new Map(), ...fields }
}
