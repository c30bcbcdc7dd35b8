import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const MAX_DEPTH = 32

interface Proc {
  ppid: number
  argv: string[]
}

/**
 * The parent pid chain of `pid`, nearest first, up to (not including) pid 1, with each process's command line. Linux
 * reads /proc; elsewhere one `ps` listing is parsed. Empty when it cannot be read (Windows): there is no ancestry.
 */
function chainOf(pid: number): { pid: number; argv: string[] }[] {
  const lookup = process.platform === 'linux' ? procLookup : psLookup()
  const chain: { pid: number; argv: string[] }[] = []
  let current = lookup(pid)
  for (let depth = 0; depth < MAX_DEPTH && current && current.ppid > 1; depth++) {
    const parent = lookup(current.ppid)
    if (!parent || chain.some((item) => item.pid === current!.ppid)) break
    chain.push({ pid: current.ppid, argv: parent.argv })
    current = parent
  }
  return chain
}

function procLookup(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the command name (field 2) may hold spaces and parentheses: fields resume after the last ')'
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
    return { ppid, argv }
  } catch {
    return undefined
  }
}

function psLookup(): (pid: number) => Proc | undefined {
  if (process.platform === 'win32') return () => undefined
  const table = new Map<number, Proc>()
  try {
    const text = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 })
    for (const line of text.split('\n')) {
      const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line)
      if (match) table.set(Number(match[1]), { ppid: Number(match[2]), argv: match[3]!.split(/\s+/) })
    }
  } catch {
    // no ps: no ancestry
  }
  return (pid) => table.get(pid)
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'fish', 'ksh', 'env', 'npm', 'npx', 'pnpm', 'yarn', 'bunx', 'timeout', 'nice', 'nohup'])
const PACKAGE_RUNNERS = /(?:^|[\\/])(?:npm-cli|npx-cli|yarn|pnpm)\.c?js$/

/** A process that only starts another: a shell, npx or npm's own node, a git running a hook when `git` is set. */
function isWrapper(argv: string[], git: boolean): boolean {
  const name = (argv[0] ?? '')
    .split(/[\\/]/)
    .at(-1)!
    .replace(/^-/, '')
    .replace(/\.exe$/i, '')
  if (SHELLS.has(name) || (git && name === 'git')) return true
  return (name === 'node' || name === 'nodejs') && PACKAGE_RUNNERS.test(argv[1] ?? '')
}

/**
 * The chain of `pid`'s ancestors from its client on: shells and package runners between them are skipped, so the
 * first entry is the process that started us (a client starts its MCP servers, and runs its hooks through `sh -c`).
 * With `git`, a hook's git (and the shell a client ran it from) is skipped too.
 */
export function clientChain(pid: number = process.pid, options: { git?: boolean } = {}): number[] {
  const chain = chainOf(pid)
  const first = chain.findIndex((item) => !isWrapper(item.argv, options.git ?? false))
  return first < 0 ? [] : chain.slice(first).map((item) => item.pid)
}

/**
 * The session whose server was started by the same client process as the hook: the nearest common ancestor of both
 * must be that client itself (a shared terminal, tmux server or test runner further up is not enough). Undefined when
 * no session, or sessions of more than one agent, fit.
 */
export function sessionOfClient<S extends { ancestors?: number[] | undefined; agentId?: string | undefined }>(hookChain: number[], sessions: S[]): S | undefined {
  const client = hookChain[0]
  if (client === undefined) return undefined
  const fits = sessions.filter((session) => session.ancestors?.[0] === client)
  return new Set(fits.map((session) => session.agentId)).size === 1 ? fits.at(-1) : undefined
}
