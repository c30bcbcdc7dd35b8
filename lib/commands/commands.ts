import { promises as fsp } from 'node:fs'
import { basename } from 'node:path'
import { findShellMetacharacter, splitCommand } from './argv.js'
import { spawnAndCollect, type CommandResult } from './_process.js'
import { windowsLaunch, windowsShellLaunch, type WindowsLaunch } from './windows.js'
import type { AccessMode } from '../workspace/access.js'
import { LockstepError } from '../errors.js'
import { ANSWER_CONTENT_BUDGET, fitText } from '../core/limits.js'

export type CommandMode = 'open' | 'allowlist'

export const TOOL_MANAGERS = ['npm', 'pnpm', 'yarn', 'bun', 'pip', 'pip3', 'uv', 'cargo', 'go', 'gem', 'brew'] as const
export type ToolManager = (typeof TOOL_MANAGERS)[number]

export interface CommandPolicy {
  argv: readonly string[]
  /** The command as the agent wrote it; checked for metacharacters in allowlist mode. Omit for tool_install. */
  raw?: string
  shell: boolean
  commandMode: CommandMode
  allow: readonly string[]
  accessMode: AccessMode
}

export interface RunCommandRequest {
  /** The program and its arguments; exactly one of argv and shellCommand. */
  argv?: readonly string[]
  /** Run through /bin/sh -c (cmd.exe /d /s /c on Windows). */
  shellCommand?: string
  cwd: string
  timeoutMs: number
  /** Cap per stream; further output is dropped. */
  maxOutputBytes: number
  /** Merged over baseEnv. */
  env?: Record<string, string>
  /** The environment of the agent's server process (default: this process's). */
  baseEnv?: Record<string, string | undefined>
  /** Aborting ends the process tree as a timeout does, without setting timedOut. */
  signal?: AbortSignal
}

export interface ToolInstallRequest {
  manager: ToolManager
  args: readonly string[]
  cwd: string
  timeoutMs?: number
  maxOutputBytes?: number
  env?: Record<string, string>
  baseEnv?: Record<string, string | undefined>
  signal?: AbortSignal
}

const IS_WINDOWS = process.platform === 'win32'

/**
 * Split a command into argv without a shell. Throws INVALID_INPUT (unterminated quote, empty command, an unquoted
 * shell metacharacter in open mode) and FORBIDDEN (any metacharacter in allowlist mode).
 */
export function parseCommand(command: string, commandMode: CommandMode = 'open'): string[] {
  const text = command.trim()
  const anywhere = findShellMetacharacter(text)
  if (commandMode === 'allowlist' && anywhere !== undefined) throw forbiddenMetacharacter(anywhere)
  const { argv, unquotedMetacharacter } = splitCommand(text)
  if (unquotedMetacharacter !== undefined) {
    const shown = JSON.stringify(unquotedMetacharacter)
    throw new LockstepError(
      'INVALID_INPUT',
      `The command contains the unquoted shell metacharacter ${shown}, but it runs without a shell; ` + 'quote it, or pass shell: true to run it through a shell.',
      { metacharacter: unquotedMetacharacter },
    )
  }
  if (argv.length === 0) {
    throw new LockstepError('INVALID_INPUT', 'The command is empty; give a program and its arguments.')
  }
  return argv
}

/** Apply the command mode to a parsed command. Throws FORBIDDEN. */
export function checkCommandPolicy(policy: CommandPolicy): void {
  const { argv, raw, shell, commandMode, allow, accessMode } = policy
  if (shell && (commandMode !== 'open' || accessMode !== 'open')) {
    const which = commandMode === 'open' ? 'strict access' : 'allowlist command'
    throw new LockstepError('FORBIDDEN', `shell: true is refused in ${which} mode; run one program without a shell.`, {
      commandMode,
      accessMode,
    })
  }
  if (commandMode !== 'allowlist') return
  const metacharacter = raw === undefined ? undefined : findShellMetacharacter(raw.trim())
  if (metacharacter !== undefined) throw forbiddenMetacharacter(metacharacter)
  const program = programName(argv[0] ?? '')
  const allowed = allow.map(programName)
  if (!allowed.includes(program)) {
    throw new LockstepError(
      'FORBIDDEN',
      `The program ${JSON.stringify(program)} is not on the command allowlist (${allow.join(', ') || 'empty'}); ` + 'use a listed program or ask the user to extend --command-allow.',
      { program, allow: [...allow] },
    )
  }
}

/** Run a tool_install manager with args as argv, never joined. Throws INVALID_INPUT, NOT_FOUND. */
export async function runToolInstall(request: ToolInstallRequest): Promise<CommandResult> {
  const { manager, args, cwd, env, baseEnv, signal } = request
  if (!(TOOL_MANAGERS as readonly string[]).includes(manager)) {
    const accepted = TOOL_MANAGERS.join(', ')
    throw new LockstepError('INVALID_INPUT', `${manager} is not a supported manager; use one of ${accepted}.`, {
      manager,
      accepted: [...TOOL_MANAGERS],
    })
  }
  const timeoutMs = request.timeoutMs ?? 300_000
  const maxOutputBytes = request.maxOutputBytes ?? 1024 * 1024
  const argv = [manager, ...args]
  return runCommand({ argv, cwd, timeoutMs, maxOutputBytes, ...(env && { env }), ...(baseEnv && { baseEnv }), ...(signal && { signal }) })
}

/**
 * Run a program without a shell (or through one with shellCommand), stdin empty, output capped. A non-zero exit is
 * a result. On timeout the process group gets SIGTERM, then SIGKILL after 5 s. Throws NOT_FOUND, INVALID_INPUT.
 */
export async function runCommand(request: RunCommandRequest): Promise<CommandResult> {
  const { cwd, timeoutMs, maxOutputBytes, signal, shellCommand } = request
  const env = mergeEnv(request.baseEnv ?? process.env, request.env ?? {})
  const argv = shellCommand === undefined ? [...(request.argv ?? [])] : shellArgv(shellCommand, env)
  if (!argv[0]) throw new LockstepError('INVALID_INPUT', 'No program to run; give a command.')
  if ([...argv, ...Object.values(env)].some((text) => text.includes('\0'))) {
    throw new LockstepError('INVALID_INPUT', 'The command or its environment contains a NUL byte; remove it.', { argv })
  }
  await assertDirectory(cwd)
  let launch: WindowsLaunch = { file: argv[0], args: argv.slice(1), verbatim: false }
  if (IS_WINDOWS) {
    launch = shellCommand === undefined ? windowsLaunch(argv, cwd, env) : windowsShellLaunch(shellCommand, env)
  }
  return fitAnswer(await spawnAndCollect(argv, launch, { cwd, env, timeoutMs, maxOutputBytes, signal }))
}

/** Output that escapes badly in JSON (control characters, quotes) is cut further, so that the answer fits. */
function fitAnswer(result: CommandResult): CommandResult {
  const stdout = fitText(result.stdout, ANSWER_CONTENT_BUDGET / 2)
  const stderr = fitText(result.stderr, ANSWER_CONTENT_BUDGET / 2)
  if (!stdout.cut && !stderr.cut) return result
  return {
    ...result,
    stdout: stdout.text,
    stderr: stderr.text,
    stdoutTruncated: result.stdoutTruncated || stdout.cut,
    stderrTruncated: result.stderrTruncated || stderr.cut,
  }
}

function shellArgv(command: string, env: Record<string, string>): string[] {
  if (!IS_WINDOWS) return ['/bin/sh', '-c', command]
  const { file, args } = windowsShellLaunch(command, env)
  return [file, ...args.slice(0, -1), command]
}

async function assertDirectory(cwd: string): Promise<void> {
  const stat = await fsp.stat(cwd).catch(() => undefined)
  if (!stat) {
    throw new LockstepError('NOT_FOUND', `The working folder ${cwd} does not exist; pass an existing cwd.`, { cwd })
  }
  if (!stat.isDirectory()) {
    throw new LockstepError('INVALID_INPUT', `The working folder ${cwd} is a file; pass a folder as cwd.`, { cwd })
  }
}

function programName(path: string): string {
  const name = basename(path.replace(/\\/g, '/')).replace(/\.(exe|cmd)$/i, '')
  return IS_WINDOWS ? name.toLowerCase() : name
}

function mergeEnv(base: NodeJS.ProcessEnv, extra: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = {}
  for (const [key, value] of Object.entries(base)) if (value !== undefined) merged[key] = value
  for (const [key, value] of Object.entries(extra)) {
    // Windows names ignore case: drop `Path` before setting `PATH`
    if (IS_WINDOWS) {
      for (const existing of Object.keys(merged)) {
        if (existing.toUpperCase() === key.toUpperCase()) delete merged[existing]
      }
    }
    merged[key] = value
  }
  return merged
}

function forbiddenMetacharacter(metacharacter: string): LockstepError {
  return new LockstepError(
    'FORBIDDEN',
    `The command contains the shell metacharacter ${JSON.stringify(metacharacter)}; allowlist mode refuses them ` +
      'even quoted. Run one program per call, without pipes, redirections or substitutions.',
    { metacharacter },
  )
}
