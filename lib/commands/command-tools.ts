import { basename } from 'node:path'
import * as v from 'valibot'
import type { ProjectRef } from '../../storage/documents.js'
import { resolveAccessPath } from '../workspace/access.js'
import { checkCommandPolicy, parseCommand, runCommand, runToolInstall, TOOL_MANAGERS } from './commands.js'
import type { CommandResult } from './_process.js'
import type { Ctx } from '../state/context.js'
import { LockstepError } from '../errors.js'
import { MAX_CONTENT_BYTES } from '../core/limits.js'
import { actorOf } from '../state/project-tx.js'
import { projectFor, strictRoots, workRootFor } from '../state/projects.js'
import { ProjectRoot, parseInput } from '../core/validate.js'
import { assertNoExecOptions, pinnedEnv, refusedEnvNames } from './command-guard.js'
import { emitEvent, recordRefusals } from '../state/tool-events.js'

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

const Env = v.pipe(
  v.record(v.pipe(v.string(), v.regex(ENV_NAME, 'an environment name matches [A-Za-z_][A-Za-z0-9_]*')), v.pipe(v.string(), v.maxLength(32_768))),
  v.check((env) => Object.keys(env).length <= 100, 'at most 100 entries'),
)
const Cwd = v.pipe(v.string(), v.minLength(1), v.maxLength(4096))
const Timeout = (fallback: number) => v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(600_000)), fallback)

export const CommandRunInput = v.strictObject({
  command: v.pipe(v.string(), v.minLength(1), v.maxLength(10_000)),
  cwd: v.optional(Cwd),
  timeoutMs: Timeout(120_000),
  maxOutputBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1024), v.maxValue(MAX_CONTENT_BYTES)), 1024 * 1024),
  env: v.optional(Env),
  shell: v.optional(v.boolean(), false),
  projectRoot: ProjectRoot,
})

/**
 * Run a command without a shell (or through one, in open mode only), under the command mode. A non-zero exit is a
 * result. Throws FORBIDDEN (allowlist, metacharacters, shell, cwd outside strict roots), NOT_FOUND, INVALID_INPUT.
 */
export async function runCommandTool(ctx: Ctx, raw: unknown): Promise<CommandResult> {
  const input = parseInput(CommandRunInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  return recordRefusals(ctx, project, 'command.refused', { tool: 'command_run', command: input.command }, async () => {
    const argv = input.shell ? [] : parseCommand(input.command, ctx.settings.commandMode)
    const admitted = await admit(ctx, project, { argv, raw: input.command, shell: input.shell }, input)
    const target = input.shell ? { shellCommand: input.command } : { argv }
    const result = await runCommand({ ...target, timeoutMs: input.timeoutMs, maxOutputBytes: input.maxOutputBytes, ...admitted })
    await recordRan(ctx, project, result)
    return result
  })
}

export const ToolInstallInput = v.strictObject({
  manager: v.picklist(TOOL_MANAGERS),
  args: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(1000))), v.maxLength(50)), []),
  cwd: v.optional(Cwd),
  timeoutMs: Timeout(300_000),
  env: v.optional(Env),
  projectRoot: ProjectRoot,
})

/** Run a known package manager with `args` as argv, never joined, no shell. Throws FORBIDDEN, NOT_FOUND, INVALID_INPUT. */
export async function installToolTool(ctx: Ctx, raw: unknown): Promise<CommandResult> {
  const input = parseInput(ToolInstallInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  return recordRefusals(ctx, project, 'command.refused', { tool: 'tool_install', program: input.manager }, async () => {
    // no raw text: the arguments are argv entries that no shell ever sees, so metacharacters in them are inert
    const admitted = await admit(ctx, project, { argv: [input.manager, ...input.args], shell: false }, input)
    const result = await runToolInstall({ manager: input.manager, args: input.args, timeoutMs: input.timeoutMs, ...admitted })
    await recordRan(ctx, project, result)
    return result
  })
}

/**
 * The checks both tools make before running anything (the command mode's policy; in allowlist mode a program from
 * the server's PATH and an env that cannot swap it), then the working folder, env and abort signal to run with.
 */
async function admit(ctx: Ctx, project: ProjectRef, command: { argv: string[]; raw?: string; shell: boolean }, input: { cwd?: string; env?: Record<string, string> }) {
  const { commandMode, commandAllow, mode } = ctx.settings
  checkCommandPolicy({ ...command, commandMode, allow: commandAllow, accessMode: mode })
  if (commandMode === 'allowlist') assertPinned(command.argv, input.env)
  const cwd = await commandCwd(ctx, project, input.cwd)
  const env = commandMode === 'allowlist' ? { ...input.env, ...pinnedEnv(ctx.caller.env ?? process.env) } : input.env
  return { cwd, ...options(ctx, env) }
}

/** The working folder: the work root by default, resolved like a file path and checked under strict mode. */
async function commandCwd(ctx: Ctx, project: ProjectRef, cwd: string | undefined): Promise<string> {
  const mode = ctx.settings.mode
  const roots = mode === 'strict' ? strictRoots(ctx) : []
  const resolved = await resolveAccessPath({ path: cwd ?? '.', workRoot: workRootFor(ctx, project), mode, roots, forWrite: false })
  return resolved.realPath
}

/**
 * The allowlist names programs by basename, so the program must come from the server's PATH: a path such as
 * `./echo` could be a planted file. The agent's env and the program's own options must not swap what runs either:
 * variables that load code or config, and options of git and npm that start another program, are refused.
 */
function assertPinned(argv: readonly string[], env: Record<string, string> | undefined): void {
  const program = argv[0] ?? ''
  if (/[\\/]/.test(program)) {
    throw new LockstepError('FORBIDDEN', `${program} is a path; in allowlist mode give the bare program name (${basename(program)}) so that it is found on the server's PATH.`, {
      program,
    })
  }
  const refused = refusedEnvNames(env)
  if (refused.length) {
    throw new LockstepError('FORBIDDEN', `env may not set ${refused.join(', ')} in allowlist mode: they change which program runs, or load code or config into it. Leave them out.`, {
      env: refused,
    })
  }
  assertNoExecOptions(program.replace(/\.(exe|cmd)$/i, ''), argv.slice(1))
}

function options(ctx: Ctx, env: Record<string, string> | undefined) {
  return { ...(env ? { env } : {}), ...(ctx.caller.env ? { baseEnv: ctx.caller.env } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) }
}

async function recordRan(ctx: Ctx, project: ProjectRef, result: CommandResult): Promise<void> {
  const program = basename((result.argv[0] ?? '').replace(/\\/g, '/'))
  const data = { program, exitCode: result.exitCode, ...(result.timedOut ? { timedOut: true } : {}) }
  await emitEvent(ctx, project, { type: 'command.ran', actor: actorOf(ctx), ids: {}, data })
}
