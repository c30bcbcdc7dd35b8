import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const MAX_DEPTH = 32

/**
 * The parent pid chain of `pid`, nearest first, up to (not including) pid 1. Linux reads /proc; elsewhere one `ps`
 * listing is parsed. Empty when it cannot be read (Windows, a locked-down /proc): the caller then has no ancestry.
 */
export function ancestorsOf(pid: number = process.pid): number[] {
  const parentOf = process.platform === 'linux' ? procParent : psParents()
  const chain: number[] = []
  let current = pid
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const parent = parentOf(current)
    if (!parent || parent <= 1 || chain.includes(parent)) break
    chain.push(parent)
    current = parent
  }
  return chain
}

function procParent(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the command name (field 2) may hold spaces and parentheses: fields resume after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[1])
  } catch {
    return undefined
  }
}

function psParents(): (pid: number) => number | undefined {
  if (process.platform === 'win32') return () => undefined
  const parents = new Map<number, number>()
  try {
    const text = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 })
    for (const line of text.split('\n')) {
      const [pid, ppid] = line.trim().split(/\s+/).map(Number)
      if (pid && ppid !== undefined) parents.set(pid, ppid)
    }
  } catch {
    // no ps: no ancestry
  }
  return (pid) => parents.get(pid)
}

/** How far up the server's chain the client may sit: npx starts a server through a shell and npm's own node. */
const SERVER_DEPTH = 3

/**
 * The session whose server shares the nearest common ancestor with the hook, when that ancestor is the client: at most
 * `hookDepth` steps above the hook (a client runs its hooks directly or through `sh -c`) and close above the server.
 * A shared terminal or tmux server further up is not enough. Undefined when no session, or more than one agent, fits.
 */
export function nearestSession<S extends { ancestors?: number[] | undefined; agentId?: string | undefined }>(hookChain: number[], sessions: S[], hookDepth = 2): S | undefined {
  for (const pid of hookChain.slice(0, hookDepth)) {
    const fits = sessions.filter((session) => {
      const at = session.ancestors?.indexOf(pid) ?? -1
      return at >= 0 && at < SERVER_DEPTH
    })
    if (!fits.length) continue
    return new Set(fits.map((session) => session.agentId)).size === 1 ? fits.at(-1) : undefined
  }
  return undefined
}
