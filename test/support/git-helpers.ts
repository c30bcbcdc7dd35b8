import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const HOME = realpathSync(mkdtempSync(join(tmpdir(), 'lockstep-git-home-')))
process.on('exit', () => rmSync(HOME, { recursive: true, force: true }))

/** An environment for the real git, free of the user's global and system config. */
export const GIT_ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_'))),
  HOME,
  XDG_CONFIG_HOME: HOME,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: join(HOME, 'gitconfig'),
  LANG: 'C',
  LC_ALL: 'C',
}

/** Run the real git and return its trimmed stdout; throws on a non-zero exit. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trimEnd()
}

/** Run the real git and return its exit status with both outputs. */
export function gitTry(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' })
  return { status: result.status, stdout: result.stdout.trimEnd(), stderr: result.stderr.trimEnd() }
}

/** What `git worktree prune -n` would do (it reports on stderr); empty when git has nothing to prune. */
export function pruneDryRun(cwd: string): string {
  const result = gitTry(cwd, 'worktree', 'prune', '-n', '-v')
  return `${result.stdout}${result.stderr}`
}

export function commitAll(cwd: string, message: string): string {
  git(cwd, 'add', '-A')
  git(cwd, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', message)
  return git(cwd, 'rev-parse', 'HEAD')
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
}

/** A fresh repository on `main` with one commit of `files`, removed when the test ends. */
export function makeRepo(t: { after: (fn: () => void) => void }, files: Record<string, string> = { 'README.md': '# demo\n', 'src/a.ts': 'export const a = 1\n' }): string {
  const dir = emptyDir(t)
  git(dir, 'init', '-q', '-b', 'main')
  writeFiles(dir, files)
  commitAll(dir, 'initial')
  return dir
}

export function emptyDir(t: { after: (fn: () => void) => void }): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'lockstep-git-')))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export function worktreePath(root: string, name: string): string {
  return join(root, '.lockstep', 'worktrees', name)
}

/** Resolves to the error a promise rejects with; fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<{ code?: string; data?: Record<string, unknown> }> {
  try {
    await promise
  } catch (error) {
    return error as { code?: string; data?: Record<string, unknown> }
  }
  throw new Error('expected a rejection')
}
