import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, promises as fsp } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { readTextOrNull } from '../../storage/atomic.js'
import { LockstepError } from '../errors.js'
import { GUARD_MARK, missingOnce } from './client-hooks.js'
import { shellQuote } from '../core/quote.js'

const HOOK = 'pre-commit'
/** An existing pre-commit hook is kept under this name and run first by ours. */
const CHAINED = 'pre-commit.lockstep-chained'

function git(cwd: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return null
  }
}

/**
 * The hooks folders git uses for the project's checkouts (the main one and each linked worktree, lockstep's among
 * them), honouring core.hooksPath (relative to each checkout's top); one entry per distinct folder. Empty without git.
 */
export function hookDirs(root: string): { dir: string; label: string }[] {
  const list = git(root, ['worktree', 'list', '--porcelain'])
  if (list === null) return []
  const tops = list
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length))
  const out = new Map<string, string>()
  for (const top of tops.length ? tops : [root]) {
    if (!existsSync(top)) continue
    const configured = git(top, ['config', 'core.hooksPath'])
    const common = git(top, ['rev-parse', '--path-format=absolute', '--git-common-dir'])
    const dir = configured ? resolve(top, configured.replace(/^~(?=\/|$)/, process.env.HOME ?? '~')) : common ? join(common, 'hooks') : null
    if (!dir || out.has(dir)) continue
    const rel = relative(root, dir)
    out.set(dir, rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : dir)
  }
  return [...out].map(([dir, label]) => ({ dir, label: `${label.replaceAll('\\', '/')}/${HOOK}` }))
}

export function gitHookScript(node: string, cli: string): string {
  return [
    '#!/bin/sh',
    `${GUARD_MARK}: refuses a commit of files another agent has locked; 'lockstep-mcp disable' removes it.`,
    `chained="$(dirname "$0")/${CHAINED}"`,
    'if [ -x "$chained" ]; then "$chained" "$@" || exit $?; fi',
    `if [ -f ${shellQuote(cli)} ]; then exec ${shellQuote(node)} ${shellQuote(cli)} guard --client git; fi`,
    missingOnce(cli, 'commits are not checked'),
    '',
  ].join('\n')
}

const isOurs = (text: string | null) => text !== null && text.includes(GUARD_MARK)

/** Install our pre-commit hook in one folder; an existing one is kept and chained. */
export async function installGitHook(dir: string, script: string): Promise<'created' | 'updated' | 'unchanged'> {
  const path = join(dir, HOOK)
  const current = await readTextOrNull(path)
  if (current === script) return 'unchanged'
  await fsp.mkdir(dir, { recursive: true })
  if (current !== null && !isOurs(current)) {
    if (existsSync(join(dir, CHAINED)))
      throw new LockstepError('CONFLICT', `${join(dir, CHAINED)} already exists beside a pre-commit hook of its own; move one away and run init again.`, { path: join(dir, CHAINED) })
    await fsp.rename(path, join(dir, CHAINED))
  }
  await fsp.writeFile(path, script)
  chmodSync(path, 0o755)
  return current === null || !isOurs(current) ? 'created' : 'updated'
}

/** Remove our hook and put a chained one back in its place. */
export async function removeGitHook(dir: string): Promise<'removed' | 'not present'> {
  const path = join(dir, HOOK)
  if (!isOurs(await readTextOrNull(path))) return 'not present'
  await fsp.rm(path, { force: true })
  if (existsSync(join(dir, CHAINED))) await fsp.rename(join(dir, CHAINED), path)
  return 'removed'
}

export async function hasGitHook(dir: string): Promise<boolean> {
  return isOurs(await readTextOrNull(join(dir, HOOK)))
}
