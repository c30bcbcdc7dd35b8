import type { FileReport } from '../project/instructions.js'
import { cliScriptPath } from '../core/cli-path.js'
import { gitHookScript, hasGitHook, hookDirs, installGitHook, removeGitHook } from './_git-hooks.js'
import { checkHookFile, guardCommand, hasHook, HOOK_FILES, installHook, removeHook, type HookClient } from './client-hooks.js'

export interface GuardState {
  guard: HookClient | 'git'
  file: string
  installed: boolean
}

const CLIENTS = Object.keys(HOOK_FILES) as HookClient[]

/**
 * Install the edit guards of every supported client and git's pre-commit hook (CLI `init`/`enable`). Each hook runs
 * this install's `lockstep-mcp guard` with this Node. Throws CONFLICT for a client file that does not parse.
 */
export async function installGuards(root: string, runtime: { node: string; cli: string } = { node: process.execPath, cli: cliScriptPath() }): Promise<FileReport[]> {
  for (const client of CLIENTS) await checkHookFile(root, client)
  const reports: FileReport[] = []
  for (const client of CLIENTS) reports.push({ file: HOOK_FILES[client].file, action: await installHook(root, client, guardCommand(runtime.node, runtime.cli, client)) })
  const script = gitHookScript(runtime.node, runtime.cli)
  for (const { dir, label } of hookDirs(root)) reports.push({ file: label, action: await installGitHook(dir, script) })
  return reports
}

/** Remove exactly what installGuards added (CLI `disable`). */
export async function removeGuards(root: string): Promise<FileReport[]> {
  const reports: FileReport[] = []
  for (const client of CLIENTS) reports.push({ file: HOOK_FILES[client].file, action: await removeHook(root, client) })
  for (const { dir, label } of hookDirs(root)) reports.push({ file: label, action: await removeGitHook(dir) })
  return reports
}

/** Which guards are in place, for `status`. */
export async function guardStates(root: string): Promise<GuardState[]> {
  const states: GuardState[] = []
  for (const client of CLIENTS) states.push({ guard: client, file: HOOK_FILES[client].file, installed: await hasHook(root, client) })
  for (const { dir, label } of hookDirs(root)) states.push({ guard: 'git', file: label, installed: await hasGitHook(dir) })
  return states
}

/**
 * After lockstep creates a worktree: where core.hooksPath is relative, the new checkout has a hooks folder of its own,
 * which gets our pre-commit hook when the project's checkouts already have it (never when guards were turned off).
 */
export async function guardNewWorktree(root: string, runtime: { node: string; cli: string } = { node: process.execPath, cli: cliScriptPath() }): Promise<void> {
  const dirs = hookDirs(root)
  const states = await Promise.all(dirs.map(({ dir }) => hasGitHook(dir)))
  if (!states.some(Boolean)) return
  const script = gitHookScript(runtime.node, runtime.cli)
  for (const [k, { dir }] of dirs.entries()) if (!states[k]) await installGitHook(dir, script)
}
