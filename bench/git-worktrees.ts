// Worktree create + status: this package's isomorphic-git layer against the git CLI, on a 2,000-file repository.
// Run: node --import tsx bench/git-worktrees.ts
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createWorktree, worktreeStatus } from '../lib/git/index.js'

const FILES = 2000
const RUNS = 5

const base = realpathSync(mkdtempSync(join(tmpdir(), 'lockstep-bench-git-')))
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_'))),
  HOME: base,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: join(base, 'gitconfig'),
}
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

function buildRepo(): string {
  const root = join(base, 'repo')
  mkdirSync(root)
  git(root, 'init', '-q', '-b', 'main')
  for (let i = 0; i < FILES; i++) {
    const dir = join(root, 'src', `mod${String(i % 40).padStart(2, '0')}`)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, `file${i}.ts`), `export const value${i} = ${i}\n`.repeat(20))
  }
  git(root, 'add', '-A')
  git(root, '-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-q', '-m', 'initial')
  return root
}

async function time(fn: () => unknown): Promise<number> {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function main(): Promise<void> {
  const root = buildRepo()
  const results = { libCreate: [] as number[], libStatus: [] as number[], cliCreate: [] as number[], cliStatus: [] as number[] }
  for (let run = 0; run < RUNS; run++) {
    const name = `lib-${run}`
    results.libCreate.push(await time(() => createWorktree({ root, name })))
    results.libStatus.push(await time(() => worktreeStatus({ root, name })))
    const path = join(base, `cli-${run}`)
    results.cliCreate.push(await time(() => git(root, 'worktree', 'add', '-q', '-b', `cli-${run}`, path)))
    results.cliStatus.push(await time(() => git(path, 'status', '--porcelain')))
  }
  const row = (label: string, lib: number[], cli: number[]) =>
    `${label.padEnd(10)}${median(lib).toFixed(1).padStart(14)}${median(cli).toFixed(1).padStart(14)}${(median(lib) / median(cli)).toFixed(1).padStart(10)}x`
  console.log(`git worktrees, ${FILES} files, median of ${RUNS} runs (ms)`)
  console.log(`${'operation'.padEnd(10)}${'lockstep'.padStart(14)}${'git CLI'.padStart(14)}${'ratio'.padStart(11)}`)
  console.log(row('create', results.libCreate, results.cliCreate))
  console.log(row('status', results.libStatus, results.cliStatus))
}

try {
  await main()
} finally {
  rmSync(base, { recursive: true, force: true })
}
