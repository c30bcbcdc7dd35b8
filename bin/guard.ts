// `lockstep-mcp guard --client <name>`: what the clients' pre-edit hooks and git's pre-commit hook run. dist/cli.js
// loads this file alone (not the whole CLI) so that a hook starts quickly; it reads the hook's JSON on stdin.
import { execFileSync } from 'node:child_process'
import { checkGuard } from '../lib/guard/guard.js'
import { firstTime, GUARD_CLIENTS, guardReply, type GuardClient } from '../lib/guard/guard-input.js'

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return ''
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function stagedPaths(cwd: string): string[] {
  const out = execFileSync('git', ['diff', '--cached', '--name-only', '-z', '--no-renames', '--diff-filter=ACDMRT'], { cwd, encoding: 'utf8' })
  return out.split('\0').filter(Boolean)
}

async function main(argv: string[]): Promise<number> {
  const at = argv.indexOf('--client')
  const client = (at >= 0 ? argv[at + 1] : 'claude') as GuardClient
  if (!GUARD_CLIENTS.includes(client)) {
    process.stderr.write(`error [INVALID_INPUT]: --client must be one of ${GUARD_CLIENTS.join(', ')}.\n`)
    return 2
  }
  const cwd = process.cwd()
  let payload: unknown = {}
  let paths: string[] | undefined
  if (client === 'git') paths = stagedPaths(cwd)
  else {
    try {
      payload = JSON.parse((await readStdin()) || '{}')
    } catch {
      payload = {}
    }
  }
  // the store's code is loaded only when a decision must be recorded: an allowed edit stays quick
  const openStore = async (dataDir: string) => (await import('../lib/state/open.js')).openStore(dataDir)
  const verdict = await checkGuard(client, payload, { env: process.env, cwd, openStore }, paths)
  const once = verdict.passReason && firstTime(`${cwd}\n${verdict.passReason.split(' (')[0]}`) ? verdict.passReason : null
  const reply = guardReply(verdict, once)
  process.stdout.write(reply.stdout)
  process.stderr.write(reply.stderr)
  return reply.code
}

// a guard never wedges its client: anything unexpected lets the edit (or commit) through, with the reason on stderr
main(process.argv.slice(3)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`lockstep guard: not checked: ${(error as Error)?.message ?? String(error)}\n`)
    process.exitCode = 0
  },
)
