// The edit guard's cost per edit: `lockstep-mcp guard --client claude` run as a client runs it (a new process, the
// hook's JSON on stdin), beside a bare `node -e 0` in the same run, interleaved. The project has 50 active locks of
// another agent. The bound: the guard adds at most 150 ms to an edit at the median.
// Run after `npm run build`: npm run bench -- guard
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { CLI, startAgent } from '../test/support/mcp-helpers.js'
import { ms, percentile, table } from './_stats.js'

const RUNS = 60

function timed(args: string[], input: string, env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['pipe', 'ignore', 'ignore'] })
    child.on('error', reject)
    child.on('close', () => resolve(performance.now() - started))
    child.stdin.end(input)
  })
}

export async function benchGuard(): Promise<string> {
  const cleanups: (() => unknown)[] = []
  const t = { after: (fn: () => unknown) => void cleanups.push(fn) }
  const home = realpathSync(mkdtempSync(join(tmpdir(), 'lockstep-bench-guard-')))
  try {
    const repo = join(home, 'repo')
    mkdirSync(join(repo, 'src'), { recursive: true })
    spawnSync('git', ['init', '-q', repo])
    const env = { ...process.env, HOME: home, LOCKSTEP_HOME: join(home, '.lockstep-mcp') }
    spawnSync(process.execPath, [CLI, 'init', '--no-guards'], { cwd: repo, env })
    const holder = await startAgent(t, { home, cwd: repo })
    await holder.ok('coordination_init', { role: 'implementer', name: 'impl-1' })
    for (let i = 0; i < 50; i++) await holder.ok('lock_acquire', { path: `src/held-${i}.ts` })
    writeFileSync(join(repo, 'src', 'free.ts'), '')
    const payload = (file: string) => JSON.stringify({ cwd: repo, tool_name: 'Edit', tool_input: { file_path: join(repo, 'src', file) } })
    const bare: number[] = []
    const allowed: number[] = []
    const refused: number[] = []
    for (let i = 0; i < RUNS; i++) {
      bare.push(await timed(['-e', '0'], '', env, repo))
      allowed.push(await timed([CLI, 'guard', '--client', 'claude'], payload('free.ts'), env, repo))
      if (i % 3 === 0) refused.push(await timed([CLI, 'guard', '--client', 'claude'], payload(`held-${i % 50}.ts`), env, repo))
    }
    const rows: (string | number)[][] = [['guard per edit (process start to exit)', 'median', 'p99', 'added at the median']]
    const base = percentile(bare, 50)
    const add = (name: string, values: number[]) => rows.push([name, ms(percentile(values, 50)), ms(percentile(values, 99)), name.startsWith('node') ? '' : ms(percentile(values, 50) - base)])
    add(`node -e 0 (${bare.length})`, bare)
    add(`guard, edit allowed (${allowed.length})`, allowed)
    add(`guard, edit refused + event written (${refused.length})`, refused)
    return table(rows)
  } finally {
    for (const fn of cleanups.reverse()) await fn()
    rmSync(home, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchGuard())
